import type { RunProgress } from '../sim/run/run-scenario.js';

/** One line of `run --json`: the fleet at the end of an epoch and what the run has done so far. */
export interface ProgressRecord {
  type: 'progress';
  /** True (simulated) time reached. */
  t: string;
  /** Share of the timeline done. */
  fraction: number;
  devices: number;
  /** Devices connected, trying and failing, and in a planned outage. */
  connected: number;
  failing: number;
  offline: number;
  /** Devices past their renewal point and not yet renewed. */
  renewalBacklog: number;
  rotationsSucceeded: number;
  rotationsFailed: number;
  /** Successful rotations per wall second over the last few seconds. */
  rotationsPerSecond: number;
  /** Failed connects so far, and by "judge:cause". */
  failures: number;
  failuresByCause: Record<string, number>;
}

export function progressRecord(progress: RunProgress, devices: number, rotationsPerSecond: number): ProgressRecord {
  const sum = (pick: (s: RunProgress['status'][number]) => number) => progress.status.reduce((a, s) => a + pick(s), 0);
  const failuresByCause = Object.fromEntries(
    Object.entries(progress.live.failures).filter((entry): entry is [string, number] => entry[1] !== undefined),
  );
  return {
    type: 'progress',
    t: new Date(progress.t).toISOString(),
    fraction: Math.round(progress.fraction * 10_000) / 10_000,
    devices,
    connected: sum((s) => s.connected),
    failing: sum((s) => s.failing),
    offline: sum((s) => s.offline),
    renewalBacklog: sum((s) => s.renewalBacklog),
    rotationsSucceeded: progress.live.rotationsSucceeded,
    rotationsFailed: progress.live.rotationsFailed,
    rotationsPerSecond: Math.round(rotationsPerSecond * 10) / 10,
    failures: Object.values(failuresByCause).reduce((a, n) => a + n, 0),
    failuresByCause,
  };
}

/** The progress bar's text: "2030-01-05T06:00Z connected 950/1000 failing 3 rotations 120 (12.5/s) failed 2 failures 40". */
export function progressText(record: ProgressRecord): string {
  return [
    `${record.t.slice(0, 16)}Z`,
    `connected ${record.connected}/${record.devices}`,
    `failing ${record.failing}`,
    `rotations ${record.rotationsSucceeded} (${formatRate(record.rotationsPerSecond)}/s)`,
    `failed ${record.rotationsFailed}`,
    `failures ${record.failures}`,
  ].join(' ');
}

function formatRate(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toString();
}

/**
 * `run --json` progress on stdout: one JSON object per line, at most one per `intervalMs` of wall time (epochs can
 * end thousands of times a second), and the last one always, when the run ends.
 */
export class JsonProgress {
  readonly #write: (line: string) => void;
  readonly #intervalMs: number;
  #lastWrite = Number.NEGATIVE_INFINITY;
  #pending: ProgressRecord | undefined;

  constructor(write: (line: string) => void, intervalMs = 1_000) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }

  /** `now`: wall milliseconds (performance.now()). */
  update(record: ProgressRecord, now: number): void {
    this.#pending = record;
    if (now - this.#lastWrite < this.#intervalMs) return;
    this.#flush();
    this.#lastWrite = now;
  }

  /** Writes the last progress if it was held back. */
  finish(): void {
    this.#flush();
  }

  #flush(): void {
    if (!this.#pending) return;
    this.#write(`${JSON.stringify(this.#pending)}\n`);
    this.#pending = undefined;
  }
}
