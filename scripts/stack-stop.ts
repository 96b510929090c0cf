/**
 * `npm run stack:stop`: stops what `npm run stack` started in the background (SIGTERM to
 * its process, which stops Kafka and Elasticsearch and deletes their data) and waits
 * until nothing of it is left. Says so when no stack runs. Exits 1 if the process is
 * still there after 60 s (it is then killed, servers included, by the infra watchdogs).
 */
import { runningStack } from './stack-state.js';

const state = await runningStack();
if (!state) {
  console.error('No stack is running.');
  process.exit(0);
}
console.error(`Stopping the stack (pid ${state.pid})...`);
process.kill(state.pid, 'SIGTERM');
const deadline = Date.now() + 60_000;
const alive = (): boolean => {
  try {
    process.kill(state.pid, 0);
    return true;
  } catch {
    return false;
  }
};
while (alive()) {
  if (Date.now() > deadline) {
    process.kill(state.pid, 'SIGKILL');
    console.error('The stack did not stop within 60 s; killed it (its servers follow).');
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.error('Stopped.');
