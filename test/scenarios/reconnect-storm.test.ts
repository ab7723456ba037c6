import { beforeAll, describe, expect, it } from 'vitest';
import { peakPerWindow, runInProcess, scaledTo, shippedScenario, type EventLine } from './rate-limited-run.js';

/**
 * scenarios/reconnect-storm.yaml at 100 devices (25 per cohort) with its account connect limit scaled with the fleet
 * (60/s for 1,000 becomes 6/s), so each throttled wave is as long as at full size.
 */
const DEVICES = 100;
const loaded = scaledTo(shippedScenario('reconnect-storm'), DEVICES);
const restart = loaded.scenario.events.find((e) => e.type === 'broker-restart');
if (restart?.type !== 'broker-restart') throw new Error('reconnect-storm.yaml has no broker-restart event');
const T0 = restart.at;
const BACK = T0 + restart.downFor;
const LIMIT = loaded.scenario.broker.limits?.connectsPerSecond ?? 0;

type Run = Awaited<ReturnType<typeof runInProcess>>;

interface CohortStorm {
  devices: string[];
  /** Connect attempts after the restart. */
  attempts: EventLine[];
  refusals: EventLine[];
  /** Each device's first successful connect after the restart. */
  backAt: Map<string, number>;
}

function storm(run: Run, cohort: string): CohortStorm {
  const mine = run.events.filter((e) => e.cohort === cohort);
  const after = mine.filter((e) => e.t >= T0);
  const backAt = new Map<string, number>();
  for (const e of after) if (e.type === 'device.connect' && e.cause === 'ok' && e.device && !backAt.has(e.device)) backAt.set(e.device, e.t);
  return {
    devices: [...new Set(mine.flatMap((e) => (e.device ? [e.device] : [])))],
    attempts: after.filter((e) => e.type === 'device.connect'),
    refusals: after.filter((e) => e.type === 'broker.admission' && e.cause !== 'ok'),
    backAt,
  };
}

/** Seconds from the restart until 99% of the cohort had connected again. */
function timeTo99(s: CohortStorm): number {
  const times = [...s.backAt.values()].sort((a, b) => a - b);
  const needed = Math.ceil(0.99 * s.devices.length);
  const at = times[needed - 1];
  return at === undefined ? Number.POSITIVE_INFINITY : (at - T0) / 1000;
}

/** The most rate_limited refusals that share one instant: devices that retried in lockstep. */
function largestWave(s: CohortStorm): number {
  const perInstant = new Map<number, number>();
  for (const e of s.refusals) if (e.cause === 'rate_limited') perInstant.set(e.t, (perInstant.get(e.t) ?? 0) + 1);
  return Math.max(0, ...perInstant.values());
}

const COHORTS = ['fixed-5s', 'exponential-no-jitter', 'full-jitter-crt', 'decorrelated-jitter'] as const;

describe('reconnect-storm.yaml: a broker restart against a connect rate limit', () => {
  let run: Run;
  let storms: Record<(typeof COHORTS)[number], CohortStorm>;
  beforeAll(async () => {
    run = await runInProcess(loaded);
    storms = Object.fromEntries(COHORTS.map((c) => [c, storm(run, c)])) as typeof storms;
  }, 120_000);

  it('starts from a fully connected fleet and brings every device of every cohort back', () => {
    const connectedBefore = new Set(run.events.filter((e) => e.type === 'device.connect' && e.cause === 'ok' && e.t < T0).map((e) => e.device));
    expect(connectedBefore.size).toBe(DEVICES);
    expect(run.events.filter((e) => e.type === 'broker.restart').map((e) => e.t)).toEqual([T0]);
    for (const c of COHORTS) {
      expect(storms[c].devices).toHaveLength(DEVICES / 4);
      expect(storms[c].backAt.size).toBe(DEVICES / 4);
    }
    expect(run.summary.availability.final?.connected).toBe(1);
  });

  it('refuses with broker_unavailable while down, then with rate_limited, and never admits more than the limit in a second', () => {
    const refusals = run.events.filter((e) => e.type === 'broker.admission' && e.cause !== 'ok' && e.t >= T0);
    const unavailable = refusals.filter((e) => e.cause === 'broker_unavailable');
    const limited = refusals.filter((e) => e.cause === 'rate_limited');
    expect(unavailable.length).toBeGreaterThan(DEVICES);
    expect(unavailable.every((e) => e.t < BACK)).toBe(true);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((e) => e.t >= BACK)).toBe(true);
    expect(refusals.length).toBe(unavailable.length + limited.length);
    const admitted = run.events.filter((e) => e.type === 'device.connect' && e.cause === 'ok' && e.t >= T0).map((e) => e.t);
    expect(admitted).toHaveLength(DEVICES);
    expect(peakPerWindow(admitted, 1000)).toBeLessThanOrEqual(LIMIT);
    expect(run.summary.failures.byCause['broker:rate_limited']?.count).toBe(run.events.filter((e) => e.type === 'broker.admission' && e.cause === 'rate_limited').length);
  });

  it('has the exponential cohort retry in synchronized waves at +1, +3, +7, +15, +31 s ..., most of it refused at once', () => {
    const exponential = storms['exponential-no-jitter'];
    // 1, 2, 4 ... 120 s without jitter: every device of the cohort is on the same schedule.
    const schedule = new Set([1, 3, 7, 15, 31, 63, 127, 247, 367, 487, 607].map((s) => T0 + s * 1000));
    expect(exponential.attempts.every((e) => schedule.has(e.t))).toBe(true);
    // A wave admits at most LIMIT devices a second, so the 25 devices need at least five waves after the broker is back:
    // +31, +63, +127, +247 and +367 s.
    expect(largestWave(exponential)).toBeGreaterThanOrEqual(DEVICES / 4 - LIMIT);
    expect(timeTo99(exponential)).toBeGreaterThanOrEqual(367);
  });

  it('has the jittered cohorts spread their retries out: few refusals per instant, back in well under half the time', () => {
    const exponential = storms['exponential-no-jitter'];
    const exponentialLimited = exponential.refusals.filter((e) => e.cause === 'rate_limited').length;
    for (const c of ['full-jitter-crt', 'decorrelated-jitter'] as const) {
      const s = storms[c];
      expect(largestWave(s), c).toBeLessThanOrEqual(2);
      const onceBack = s.attempts.filter((e) => e.t >= BACK);
      expect(new Set(onceBack.map((e) => e.t)).size, c).toBeGreaterThan(onceBack.length * 0.9);
      expect(s.refusals.filter((e) => e.cause === 'rate_limited').length, c).toBeLessThan(exponentialLimited / 2);
      expect(timeTo99(s), c).toBeLessThan(timeTo99(exponential) / 2);
    }
  });

  it('has the fixed 5 s cohort knock every 5 s in lockstep: back soonest, at the cost of many more rate_limited refusals', () => {
    const fixed = storms['fixed-5s'];
    const limited = (s: CohortStorm) => s.refusals.filter((e) => e.cause === 'rate_limited').length;
    expect(fixed.attempts.every((e) => (e.t - T0) % 5000 === 0)).toBe(true);
    expect(largestWave(fixed)).toBeGreaterThanOrEqual(DEVICES / 4 - LIMIT);
    for (const c of COHORTS) expect(timeTo99(fixed), c).toBeLessThanOrEqual(timeTo99(storms[c]));
    for (const c of ['full-jitter-crt', 'decorrelated-jitter'] as const) expect(limited(fixed), c).toBeGreaterThan(2 * limited(storms[c]));
  });

  it('refuses the same devices at the same times, with the same per-cause counts, on a second run with the same seed', async () => {
    const again = await runInProcess(loaded);
    const refusals = (r: Run) => r.events.filter((e) => e.type === 'broker.admission' && e.cause !== 'ok').map((e) => `${e.device}@${e.t}:${e.cause}`).sort();
    expect(refusals(again)).toEqual(refusals(run));
    expect(again.summary.failures).toEqual(run.summary.failures);
    expect(again.summary.broker.refused).toEqual(run.summary.broker.refused);
  }, 120_000);
});
