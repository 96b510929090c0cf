/**
 * B6: the Slack Web API stand-in of the tests (test/support/slack-recorder.ts)
 * in a process of its own, so the product's Slack poster has somewhere to post.
 */
import { startSlackRecorder, type SlackRecorder } from '../../test/support/slack-recorder.js';
import { serve } from '../lib/worker.js';

let recorder: SlackRecorder | null = null;

serve(
  {
    start: async () => {
      recorder ??= await startSlackRecorder();
      return { apiUrl: recorder.apiUrl };
    },
    stats: () => ({ calls: recorder?.calls.length ?? 0, posted: recorder?.okCallsTo('chat.postMessage').length ?? 0, failed: recorder?.calls.filter((c) => c.status !== 200).length ?? 0 }),
  },
  async () => {
    await recorder?.close();
  },
);
