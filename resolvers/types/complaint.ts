import type { AcknowledgementResolvers, AcknowledgementSource, ComplaintRaisedEventResolvers, ComplaintResolvers } from '../__generated__/types.js';
import { AckVia } from '../../src/domain/index.js';
import { assertNever } from '../../src/errors.js';

export const Complaint: ComplaintResolvers = {
  raisedAt: (c) => c.rating.ratingTime,
  customer: async (c, _args, ctx) => (await ctx.loaders.customer.load(c.rating.customer.id)) ?? c.rating.customer,
};

export const Acknowledgement: AcknowledgementResolvers = {
  via: (a) => source(a.via),
};

function source(via: AckVia): AcknowledgementSource {
  switch (via) {
    case AckVia.GraphQL:
      return 'GRAPHQL';
    case AckVia.Slack:
      return 'SLACK';
    default:
      return assertNever(via, 'acknowledgement source');
  }
}

export const ComplaintRaisedEvent: ComplaintRaisedEventResolvers = {
  // The state as indexed now (maybe acknowledged since); the record itself
  // when the sink has not indexed it yet.
  complaint: async (e, _args, ctx) => (await ctx.loaders.complaint.load(e.complaint.id)) ?? e.complaint,
  raisedAt: (e) => e.timestamp,
};
