/**
 * B4 baseline: a bare `ws` server broadcasting one serialized payload to
 * every socket. The payload is the product's own `next` message for a
 * complaint (captured by the B4 clients), with the complaint id and
 * `ratedAt` set per event; it is serialized once per event and sent to each
 * socket in turn, which is the least any WebSocket fan-out must do.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { serve } from '../lib/worker.js';

let wss: WebSocketServer | null = null;
const clients = new Set<WebSocket>();

async function start(): Promise<{ port: number }> {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => clients.delete(socket));
  });
  await new Promise<void>((res) => wss?.once('listening', () => res()));
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port };
}

interface Payload {
  payload: { data: { complaintRaised: { complaint: { id: string; rating: { id?: string; ratedAt: string } } } } };
}

/** Sends `ids.length` events, one after the other, to every socket. Resolves with the publish times. */
function broadcast(p: { template: Payload; ids: readonly string[] }): number[] {
  const times: number[] = [];
  for (const id of p.ids) {
    const now = Date.now();
    const event = structuredClone(p.template);
    const complaint = event.payload.data.complaintRaised.complaint;
    complaint.id = id;
    complaint.rating.id = id;
    complaint.rating.ratedAt = new Date(now).toISOString();
    const text = JSON.stringify(event);
    for (const socket of clients) socket.send(text);
    times.push(now);
  }
  return times;
}

serve(
  {
    start: () => start(),
    connections: () => clients.size,
    broadcast: (p) => broadcast(p as { template: Payload; ids: string[] }),
  },
  () => {
    for (const c of clients) c.terminate();
    wss?.close();
  },
);
