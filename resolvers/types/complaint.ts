import type { AcknowledgementResolvers, AcknowledgementSource, ComplaintRaisedEventResolvers, ComplaintResolvers, ResolutionResolvers } from '../__generated__/types.js';
import { AckVia } from '../../src/domain/index.js';
import { assertNever } from '../../src/errors.js';
import { perEvent } from '../live.js';

export const Complaint: ComplaintResolvers = {
  raisedAt: (c) => c.rating.ratingTime,
  // The customer as currently indexed; the one joined into the rating when the
  // index has none or cannot answer (a live event must not fail for a lookup).
  customer: (c, _args, ctx, info) => perEvent(ctx, info, c, 'customer', async () => (await ctx.loaders.customer.load(c.rating.customer.id).catch(() => null)) ?? c.rating.customer),
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
  // The state as indexed now (maybe acknowledged since); the record itself
  // when the sink has not indexed it yet. One lookup per event for all
  // subscribers: keyed by the complaint the live feed delivered to them all.
  // When the index cannot answer (overloaded, down), the record itself: a live
  // event is never turned into an error by a lookup.
  complaint: (e, _args, ctx, info) => perEvent(ctx, info, e.complaint, 'indexed', async () => (await ctx.loaders.complaint.load(e.complaint.id).catch(() => null)) ?? e.complaint),
  raisedAt: (e) => e.timestamp,
};
