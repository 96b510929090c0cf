/** Pipeline: each processor and the sink, as KSQL's SHOW QUERIES / DESCRIBE EXTENDED showed them; polled every 5 s while open. */
import { useEffect, useState } from 'preact/hooks';
import { gql } from '../api.js';
import { ago, dateTime, num } from '../format.js';
import { html } from '../html.js';

interface Processor {
  name: string;
  sourceTopics: string[];
  sinkTopics: string[];
  state: string;
  messagesPerSecond: number;
  totalMessages: number;
  failedMessages: number;
  unmatchedMessages: number;
  lastMessageAt: string | null;
  consumerLag: number | null;
  consumerGroup: string;
  instances: number;
  lastError: string | null;
}
interface PipelineData {
  processors: Processor[];
  sink: Processor | null;
  healthy: boolean;
}

const FIELDS = 'name sourceTopics sinkTopics state messagesPerSecond totalMessages failedMessages unmatchedMessages lastMessageAt consumerLag consumerGroup instances lastError';
const QUERY = `query Pipeline { pipeline { healthy processors { ${FIELDS} } sink { ${FIELDS} } } }`;
const POLL_MS = 5_000;

const stateTone = (s: string): string => (s === 'RUNNING' ? 'done' : s === 'BOOTSTRAPPING' ? 'muted' : 'alert');

export function Pipeline() {
  const [data, setData] = useState<PipelineData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checkedAt, setCheckedAt] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const load = (): void => {
      gql<{ pipeline: PipelineData }>(QUERY)
        .then((r) => {
          if (cancelled) return;
          setError(null);
          setData(r.pipeline);
          setCheckedAt(new Date().toISOString());
        })
        .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    };
    load();
    const t = setInterval(load, POLL_MS);
    return () => {
      cancelled = true;
      clearInterval(t);
    };
  }, []);

  const all = data ? [...data.processors, ...(data.sink ? [data.sink] : [])] : null;
  const unhealthy = all?.filter((p) => p.state !== 'RUNNING') ?? [];
  const deadLetters = all?.reduce((n, p) => n + p.failedMessages, 0) ?? null;

  return html`<section aria-labelledby="pipeline-h">
    <div class="view-head">
      <h1 id="pipeline-h">Pipeline</h1>
      <span class="sub">${checkedAt ? `Checked ${ago(checkedAt)} · every ${POLL_MS / 1000} s` : ''}</span>
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <div class="kpis">
      <div class=${`kpi ${data && !data.healthy ? 'kpi-alert' : ''}`}>
        <span class="kpi-label">Health</span>
        <span class="kpi-value">${data === null ? '…' : data.healthy ? 'Healthy' : 'Unhealthy'}</span>
      </div>
      <div class="kpi"><span class="kpi-label">Processors</span><span class="kpi-value">${all === null ? '…' : all.length}</span></div>
      <div class=${`kpi ${deadLetters ? 'kpi-warn' : ''}`}><span class="kpi-label">Dead letters</span><span class="kpi-value">${deadLetters === null ? '…' : num(deadLetters)}</span></div>
    </div>
    ${
      unhealthy.length > 0
        ? html`<div class="banner alert" role="alert"><strong>Unhealthy:</strong> ${unhealthy.map((p) => `${p.name} is ${p.state.toLowerCase()}${p.lastError ? ` (${p.lastError})` : ''}`).join('; ')}.</div>`
        : null
    }
    <div class="table-wrap">
      <table class="pipeline">
        <caption class="sr-only">Stream processors and the Elasticsearch sink</caption>
        <thead>
          <tr>
            <th scope="col">Processor</th><th scope="col">State</th><th scope="col" class="n">Msg/s</th><th scope="col" class="n">Total</th>
            <th scope="col" class="n">Failed</th><th scope="col" class="n">Unmatched</th><th scope="col" class="n">Lag</th>
            <th scope="col">Last message</th><th scope="col" class="n">Instances</th><th scope="col">Reads → writes</th>
          </tr>
        </thead>
        <tbody>
          ${
            all === null
              ? Array.from({ length: 3 }, () => html`<tr class="skeleton" aria-hidden="true"><td colspan="10"> </td></tr>`)
              : all.length === 0
                ? html`<tr><td colspan="10" class="empty">This gateway knows no processor (the stream role runs elsewhere and has not reported).</td></tr>`
                : all.map(
                    (p) => html`<tr key=${p.name} class=${p.state === 'RUNNING' ? '' : 'row-alert'}>
                    <th scope="row">${p.name}${p === data?.sink ? html`<span class="sub">sink</span>` : html`<span class="sub">${p.consumerGroup}</span>`}</th>
                    <td><span class=${`badge tone-${stateTone(p.state)}`}>${p.state}</span>${p.lastError ? html`<span class="sub err-text">${p.lastError}</span>` : null}</td>
                    <td class="n">${num(p.messagesPerSecond, 1)}</td>
                    <td class="n">${num(p.totalMessages)}</td>
                    <td class=${`n ${p.failedMessages ? 'warn-text' : ''}`}>${num(p.failedMessages)}</td>
                    <td class="n">${num(p.unmatchedMessages)}</td>
                    <td class="n">${p.consumerLag === null ? '—' : num(p.consumerLag)}</td>
                    <td><time datetime=${p.lastMessageAt ?? ''} title=${dateTime(p.lastMessageAt)}>${ago(p.lastMessageAt)}</time></td>
                    <td class="n">${p.instances}</td>
                    <td class="topics">${p.sourceTopics.join(', ')} → ${p.sinkTopics.join(', ')}</td>
                  </tr>`,
                  )
          }
        </tbody>
      </table>
    </div>
  </section>`;
}
