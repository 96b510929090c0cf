/**
 * The resolver map: one root field per file under query/, mutation/ and
 * subscription/; field resolvers of object types under types/. Resolvers
 * check arguments, call ports through the context and let AppErrors through
 * (src/server/error-mapping.ts maps them to extensions.code).
 */
import type { Resolvers } from './__generated__/types.js';
import { acknowledgeComplaint } from './mutation/acknowledge-complaint.js';
import { resolveComplaint } from './mutation/resolve-complaint.js';
import { snoozeComplaint } from './mutation/snooze-complaint.js';
import { complaint } from './query/complaint.js';
import { complaints } from './query/complaints.js';
import { complaintStats } from './query/complaint-stats.js';
import { customer } from './query/customer.js';
import { pipeline } from './query/pipeline.js';
import { rating } from './query/rating.js';
import { ratingHistogram } from './query/rating-histogram.js';
import { ratingStats } from './query/rating-stats.js';
import { ratings } from './query/ratings.js';
import { viewer } from './query/viewer.js';
import { complaintRaised } from './subscription/complaint-raised.js';
import { complaintUpdated } from './subscription/complaint-updated.js';
import { ratingAdded } from './subscription/rating-added.js';
import { Acknowledgement, Complaint, ComplaintRaisedEvent, Resolution } from './types/complaint.js';
import { ComplaintStatsDay } from './types/complaint-stats.js';
import { ComplaintConnection, RatingConnection } from './types/connections.js';
import { Customer } from './types/customer.js';
import { Rating } from './types/rating.js';
import { DateTime, SafeInt } from './types/scalars.js';
import { StreamProcessor } from './types/stream-processor.js';

export const resolvers: Resolvers = {
  Query: { ratings, rating, customer, complaint, complaints, ratingStats, ratingHistogram, complaintStats, pipeline, viewer },
  Mutation: { acknowledgeComplaint, resolveComplaint, snoozeComplaint },
  Subscription: { complaintRaised, ratingAdded, complaintUpdated },
  Rating,
  Customer,
  Complaint,
  Acknowledgement,
  Resolution,
  ComplaintStatsDay,
  ComplaintRaisedEvent,
  RatingConnection,
  ComplaintConnection,
  StreamProcessor,
  DateTime,
  SafeInt,
};
