/**
 * The child side of a bench worker: a process forked by {@link startWorker}
 * (bench/lib/child.ts) that answers calls from the bench over IPC. Load
 * generators, baselines and measuring clients run in workers so that they
 * never share an event loop with the product or with each other.
 *
 * A worker exits when its parent goes away (IPC disconnect), so a killed
 * bench leaves no worker behind.
 */

export type Handler = (params: unknown) => unknown;

interface CallMessage {
  readonly kind: 'call';
  readonly id: number;
  readonly method: string;
  readonly params: unknown;
}

function isCall(m: unknown): m is CallMessage {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'call';
}

/** Sends an unsolicited event to the parent (progress, a sample payload). */
export function emit(event: string, data: unknown): void {
  process.send?.({ kind: 'event', event, data });
}

/**
 * Serves `handlers` over IPC. Each handler receives the call's params and may
 * return a value or a promise; a throw is reported to the caller as an error.
 * A `stop` method is added: it runs `onStop` and exits.
 */
export function serve(handlers: Record<string, Handler>, onStop?: () => Promise<void> | void): void {
  if (!process.send) throw new Error('bench workers must be started with startWorker (bench/lib/child.ts), not directly');
  const stop = async (): Promise<void> => {
    try {
      await onStop?.();
    } finally {
      process.exit(0);
    }
  };
  process.on('disconnect', () => void stop());
  process.on('message', (m: unknown) => {
    if (!isCall(m)) return;
    const reply = (body: { result?: unknown; error?: string }): void => {
      if (process.connected) process.send?.({ kind: 'reply', id: m.id, ...body });
    };
    if (m.method === 'stop') {
      reply({ result: null });
      setImmediate(() => void stop());
      return;
    }
    const handler = handlers[m.method];
    if (!handler) {
      reply({ error: `unknown method ${m.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(m.params))
      .then(
        (result) => reply({ result: result ?? null }),
        (err: unknown) => reply({ error: err instanceof Error ? `${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : ''}` : String(err) }),
      );
  });
  process.send({ kind: 'ready' });
}
