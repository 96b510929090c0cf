import type { ComplaintStatsDayResolvers } from '../__generated__/types.js';

const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

export const ComplaintStatsDay: ComplaintStatsDayResolvers = {
  medianSecondsToAcknowledge: (d) => seconds(d.acknowledgeMedianMs),
  p90SecondsToAcknowledge: (d) => seconds(d.acknowledgeP90Ms),
  medianSecondsToResolve: (d) => seconds(d.resolveMedianMs),
  p90SecondsToResolve: (d) => seconds(d.resolveP90Ms),
};
