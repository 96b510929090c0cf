import type { AcknowledgementResolvers, AcknowledgementSource, ComplaintRaisedEventResolvers, ComplaintResolvers, ResolutionResolvers } from '../__generated__/types.js';
import { AckVia } from '../../src/domain/index.js';
import { assertNever } from '../../src/errors.js';
import { deliveredAsIs, isDeliveredAsIs, perEvent } from '../live.js';

export const Complaint: ComplaintResolvers = {
  raisedAt: (c) => c.rating.ratingTime,
  // Live complaintRaised: the customer joined into the rating. Otherwise the
  // customer as currently indexed; the joined one when the index has none or
  // cannot answer (a live event must not fail for a lookup).
  customer: (c, _args, ctx, info) =>
    isDeliveredAsIs(c) ? c.rating.customer : perEvent(ctx, info, c, 'customer', async () => (await ctx.loaders.customer.load(c.rating.customer.id).catch(() => null)) ?? c.rating.customer),
  resolution: (c) => c.resolution ?? null,
  remindersSent: (c) => c.reminders?.sent ?? 0,
  nextReminderAt: (c) => c.reminders?.nextAt ?? null,
  escalatedAt: (c) => c.reminders?.escalatedAt ?? null,
  snoozedUntil: (c) => c.reminders?.snoozedUntil ?? null,
};

export const Acknowledgement: AcknowledgementResolvers = {
  via: (a) => source(a.via),
};

export const Resolution: ResolutionResolvers = {
  via: (r) => source(r.via),
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
  // Live: the complaint as raised, from the record, with no lookup. It was
  // raised a moment ago, so its state is OPEN; what happens to it later reaches
  // subscribers through complaintUpdated. Reading the index here put an
  // Elasticsearch round trip (two: complaint, then customer) between the
  // complaints topic and every alert, and tied alert latency to the index's
  // health: an overloaded or hung node delayed every live complaint by up to
  // its request timeout (docs/subscriptions.md, "What a live event carries").
  // Replayed (`after`): the state as indexed now (maybe acknowledged since
  // the disconnect), the record itself when the sink has not indexed it yet or
  // the index cannot answer; one lookup per event object.
  complaint: (e, _args, ctx, info) => {
    if (!e.replayed) {
      deliveredAsIs(e.complaint, e.complaint.rating);
      return e.complaint;
    }
    return perEvent(ctx, info, e.complaint, 'indexed', async () => (await ctx.loaders.complaint.load(e.complaint.id).catch(() => null)) ?? e.complaint);
  },
  raisedAt: (e) => e.timestamp,
};
