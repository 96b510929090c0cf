/** A uPlot chart as a Preact component: built once, then `setData` (no rebuild) as data arrives; resized with its box. */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

export interface ChartProps {
  /** Accessible name of the chart (it is an image for screen readers; the tables beside it carry the numbers). */
  label: string;
  x: number[];
  y: (number | null)[];
  /** Series name and unit shown in the legend. */
  series: string;
  kind: 'bars' | 'line';
  yRange?: [number, number];
  height?: number;
}

const css = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function Chart({ label, x, y, series, kind, yRange, height = 180 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Colours come from CSS variables: rebuilt when the colour scheme changes.
  const [dark, setDark] = useState(() => matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    const mq = matchMedia('(prefers-color-scheme: dark)');
    const on = (): void => setDark(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);

  useEffect(() => {
    const el = box.current!;
    const axis = { stroke: css('--fg-muted'), grid: { stroke: css('--grid'), width: 1 }, ticks: { stroke: css('--grid'), width: 1 } };
    const color = css(kind === 'bars' ? '--accent' : '--accent-2');
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: yRange ? { range: yRange } : { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [axis, { ...axis, size: 40 }],
      series: [
        {},
        kind === 'bars'
          ? { label: series, stroke: color, fill: `${color}aa`, width: 0, paths: uPlot.paths.bars!({ size: [0.8, 24] }), points: { show: false } }
          : { label: series, stroke: color, width: 2, spanGaps: true, points: { show: true, size: 4 } },
      ],
    };
    plot.current = new uPlot(opts, [x, y], el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [dark]);

  useEffect(() => {
    plot.current?.setData([x, y]);
  }, [x, y]);

  return html`<div class="chart" role="img" aria-label=${label} style=${{ height: `${height}px` }} ref=${box}></div>`;
}
