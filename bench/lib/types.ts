/** What a scenario is, what it gets, and what it reports. */

/** One line of the result table. */
export interface Row {
  /** `B1`, `B4 10k`, ... */
  readonly scenario: string;
  /** What is measured, e.g. `ratings/s, exactly-once on`. */
  readonly what: string;
  readonly unit: string;
  /** Median over the runs; null when the product side did not run. */
  readonly product: number | null;
  /** Median over the runs; null when there is no baseline figure. */
  readonly baseline: number | null;
  /** product / baseline where the target is a ratio; null otherwise. */
  readonly ratio: number | null;
  /** Human-readable target, e.g. `≥ 0.5 × baseline`; '' for figures reported without one. */
  readonly target: string;
  /** null: no target, or not measured. */
  readonly met: boolean | null;
  /** Why a figure is missing, or what to know about it. */
  readonly note?: string;
}

export type ScenarioStatus = 'ok' | 'partial' | 'not run' | 'failed';

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly status: ScenarioStatus;
  readonly reason?: string;
  readonly rows: readonly Row[];
  /** Every run's raw figures, settings and notes (goes into the JSON). */
  readonly details: Record<string, unknown>;
  readonly durationMs: number;
}

export interface BenchContext {
  readonly brokers: readonly string[];
  readonly esUrl: string;
  /** Measured runs per figure (median reported). @default 3 */
  readonly runs: number;
  /** Smaller sizes, for trying the harness. */
  readonly quick: boolean;
  /** Write CPU profiles of the product (`--cpu-prof`) into logDir. */
  readonly profile: boolean;
  /** Per-run folder for product logs and profiles. */
  readonly logDir: string;
  /** Unique per bench run; prefixes topics, groups and indices. */
  readonly stamp: string;
  /** Why the built product cannot run (null when it can). */
  readonly productMissing: string | null;
  /** B6: minutes of soak (`--minutes=N`); undefined: its default (30, 2 with --quick). */
  readonly soakMinutes?: number;
  /** Why the Kafka Streams peer (bench/kafka-streams) cannot run (null when it can). */
  readonly peerMissing: string | null;
  log(message: string): void;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<{ rows: Row[]; details: Record<string, unknown>; status?: ScenarioStatus; reason?: string }>;
}

/** A row comparing product and baseline as a ratio, met when product/baseline ≥ `min` (higher is better). */
export function ratioRow(r: { scenario: string; what: string; unit: string; product: number | null; baseline: number | null; min: number; note?: string }): Row {
  const ratio = r.product !== null && r.baseline !== null && r.baseline > 0 && Number.isFinite(r.product) ? r.product / r.baseline : null;
  return {
    scenario: r.scenario,
    what: r.what,
    unit: r.unit,
    product: r.product,
    baseline: r.baseline,
    ratio,
    target: `≥ ${r.min} × baseline`,
    met: ratio === null ? null : ratio >= r.min,
    ...(r.note !== undefined && { note: r.note }),
  };
}

/** A row with an absolute target: met when `check(product)` holds. */
export function limitRow(r: {
  scenario: string;
  what: string;
  unit: string;
  product: number | null;
  baseline: number | null;
  target: string;
  check: ((product: number) => boolean) | null;
  ratio?: number | null;
  note?: string;
}): Row {
  const measured = r.product !== null && Number.isFinite(r.product);
  return {
    scenario: r.scenario,
    what: r.what,
    unit: r.unit,
    product: r.product,
    baseline: r.baseline,
    ratio: r.ratio ?? (measured && r.baseline !== null && r.baseline > 0 ? (r.product as number) / r.baseline : null),
    target: r.target,
    met: measured && r.check ? r.check(r.product as number) : null,
    ...(r.note !== undefined && { note: r.note }),
  };
}
