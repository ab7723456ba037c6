import { SeededRandom } from '../random/seeded-random.js';
import { formatDuration } from '../time/duration.js';
import type { FaultKind, ScenarioFault } from '../scenario/fault-schema.js';
import type { Scenario } from '../scenario/schema.js';

/**
 * A scenario fault as the run carries it out: its window in true time (a kill's window is the instant `at`), the
 * cohorts it hits (indices; all when undefined) and its parameters. `index` is its place in `faults:`, which names it
 * in events.ndjson and summary.json.
 */
export interface PlannedFault {
  index: number;
  kind: FaultKind;
  from: number;
  to: number;
  label: string;
  cohorts?: number[] | undefined;
  /** message-loss: the share of cloud-to-device messages lost. */
  rate?: number | undefined;
  /** ca-slow: how much later the CA serves a request that arrives in the window. */
  delayMs?: number | undefined;
  /** process-kill: the device whose process is killed. */
  device?: string | undefined;
}

/** The fault windows one device lives through, in its profile: partitions and message loss concern only its cohort. */
export interface DeviceFaults {
  partitions: { fault: number; from: number; to: number }[];
  losses: { fault: number; from: number; to: number; rate: number }[];
}

export function planFaults(scenario: Scenario): PlannedFault[] {
  const cohortIndex = new Map(scenario.fleet.cohorts.map((c, i) => [c.name, i]));
  const indices = (names: string[] | undefined) => names?.map((n) => cohortIndex.get(n) ?? -1);
  return scenario.faults.map((f, index) => {
    const common = { index, kind: f.kind, label: describeFault(f) };
    switch (f.kind) {
      case 'message-loss':
        return { ...common, from: f.from, to: f.to, rate: f.rate, cohorts: indices(f.cohorts) };
      case 'ca-unavailable':
        return { ...common, from: f.from, to: f.to };
      case 'ca-slow':
        return { ...common, from: f.from, to: f.to, delayMs: f.delay };
      case 'partition':
        return { ...common, from: f.from, to: f.to, cohorts: indices([f.cohort]) };
      case 'process-kill':
        return { ...common, from: f.at, to: f.at, device: f.device };
    }
  });
}

export function deviceFaults(faults: readonly PlannedFault[], cohort: number): DeviceFaults {
  const hits = (f: PlannedFault) => f.cohorts === undefined || f.cohorts.includes(cohort);
  return {
    partitions: faults.filter((f) => f.kind === 'partition' && hits(f)).map((f) => ({ fault: f.index, from: f.from, to: f.to })),
    losses: faults
      .filter((f) => f.kind === 'message-loss' && hits(f))
      .map((f) => ({ fault: f.index, from: f.from, to: f.to, rate: f.rate ?? 0 })),
  };
}

/** Whether true time t falls in the window [from, to) (a fault is over at its `to`). */
export function inWindow(window: { from: number; to: number }, t: number): boolean {
  return t >= window.from && t < window.to;
}

export function describeFault(f: ScenarioFault): string {
  switch (f.kind) {
    case 'message-loss':
      return `${Math.round(f.rate * 1000) / 10}% of cloud-to-device messages lost${f.cohorts ? ` (${f.cohorts.join(', ')})` : ''}`;
    case 'ca-unavailable':
      return 'CA unavailable (503)';
    case 'ca-slow':
      return `CA slow (+${formatDuration(f.delay)})`;
    case 'partition':
      return `cohort ${f.cohort} partitioned from the broker`;
    case 'process-kill':
      return `device process of ${f.device} killed`;
  }
}

/**
 * Whether a cloud-to-device message is lost: a draw from the run seed, the device and the message's id only, so the
 * same message to the same device is lost on every run and placement (never Math.random, never timing).
 */
export function messageLost(seed: number, deviceId: string, messageId: string, rate: number): boolean {
  return rate > 0 && new SeededRandom(seed, `${deviceId}/message-loss/${messageId}`).next() < rate;
}
