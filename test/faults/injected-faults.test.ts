import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupMarkers } from '../../sim/report/report-model.js';
import { faultScenarioText, runFaultScenario } from '../support/fault-scenario.js';
import { HOUR, SECOND } from '../support/time.js';

/**
 * One run of the tiny fleet (8 devices, 2-day certificates, 10 days) through four faults in turn: messages lost,
 * the CA down, the CA slow, a cohort cut off. Run three times: twice on one worker, once on two.
 */
const at = (iso: string) => Date.parse(iso);
const LOSS = { from: at('2030-01-01T00:00:00Z'), to: at('2030-01-05T00:00:00Z'), rate: 0.3 };
const DOWN = { from: at('2030-01-05T00:00:00Z'), to: at('2030-01-05T06:00:00Z') };
const SLOW = { from: at('2030-01-07T00:00:00Z'), to: at('2030-01-08T00:00:00Z'), delay: 2 * HOUR };
const CUT = { from: at('2030-01-08T12:00:00Z'), to: at('2030-01-08T14:00:00Z') };
const REQUEST_TIMEOUT = 30 * SECOND;

const SCENARIO = faultScenarioText(
  `  - { kind: message-loss, from: 2030-01-01T00:00:00Z, to: 2030-01-05T00:00:00Z, rate: ${LOSS.rate} }
  - { kind: ca-unavailable, from: 2030-01-05T00:00:00Z, to: 2030-01-05T06:00:00Z }
  - { kind: ca-slow, from: 2030-01-07T00:00:00Z, to: 2030-01-08T00:00:00Z, delay: 2h }
  - { kind: partition, from: 2030-01-08T12:00:00Z, to: 2030-01-08T14:00:00Z, cohort: steady }`,
  `events:
  - { type: trust-rollout, at: 2030-01-02T00:00:00Z, add: [other-root], cohorts: [steady] }
thresholds:
  - "faults.messagesLost >= 1"
  - "faults.requestsRefused >= 1"
  - "faults.connectsFailed >= 1"
  - "recovery.seconds < 200000"
`,
);

type Run = Awaited<ReturnType<typeof runFaultScenario>>;
const inWindow = (w: { from: number; to: number }, t: number) => t >= w.from && t < w.to;

/** Everything a fault did, by fault: what must be the same on every run and placement. */
function countsOf(run: Run) {
  return {
    faults: run.summary.faults.map(({ label: _label, ...f }) => f),
    failures: Object.fromEntries(Object.entries(run.summary.failures.byCause).map(([k, v]) => [k, v.count])),
    rotations: run.summary.rotations.failuresByCause,
    attempted: [run.summary.rotations.attempted, run.summary.connects.attempted],
  };
}

describe('injected faults: message loss, the CA down and slow, a partition', () => {
  let run: Run;
  let again: Run;
  let twoWorkers: Run;
  beforeAll(async () => {
    [run, again, twoWorkers] = await Promise.all([runFaultScenario(SCENARIO), runFaultScenario(SCENARIO), runFaultScenario(SCENARIO, { workers: 2 })]);
  }, 240_000);

  const effects = (fault: number, effect: string) => run.events.filter((e) => e.type === 'fault.effect' && e.fault === fault && e.effect === effect);

  it('records every fault as fault.start and fault.end in events.ndjson, and as markers on the report', () => {
    const starts = run.events.filter((e) => e.type === 'fault.start').map((e) => [e.fault, e.t, e.kind]);
    const ends = run.events.filter((e) => e.type === 'fault.end').map((e) => [e.fault, e.t]);
    expect(starts).toEqual([
      [0, LOSS.from, 'message-loss'],
      [1, DOWN.from, 'ca-unavailable'],
      [2, SLOW.from, 'ca-slow'],
      [3, CUT.from, 'partition'],
    ]);
    expect(ends.sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0))).toEqual([
      [0, LOSS.to],
      [1, DOWN.to],
      [2, SLOW.to],
      [3, CUT.to],
    ]);
    const faultMarkers = run.summary.markers.filter((m) => m.kind === 'fault');
    expect(faultMarkers).toHaveLength(8);
    expect(faultMarkers.find((m) => Date.parse(m.t) === CUT.from)?.label).toBe('fault starts: cohort steady partitioned from the broker');
    // The report draws them: one marker line per instant, styled as a fault.
    expect(groupMarkers(run.summary.markers).filter((g) => g.kind === 'fault').map((g) => g.t)).toEqual(
      expect.arrayContaining([LOSS.from, DOWN.from, DOWN.to, SLOW.from, SLOW.to, CUT.from, CUT.to]),
    );
  });

  it('loses about rate x sent cloud-to-device messages, and a lost CSR reply times out 30 simulated seconds later', () => {
    const loss = run.summary.faults[0];
    expect(loss?.kind).toBe('message-loss');
    const sent = loss?.messages.sent ?? 0;
    const lost = loss?.messages.lost ?? 0;
    expect(sent).toBeGreaterThanOrEqual(20);
    // Binomial(sent, rate): within three standard deviations.
    expect(Math.abs(lost - LOSS.rate * sent)).toBeLessThanOrEqual(3 * Math.sqrt(sent * LOSS.rate * (1 - LOSS.rate)) + 1);
    expect(effects(0, 'message-lost')).toHaveLength(lost);
    const timeouts = run.events.filter((e) => e.type === 'device.rotation' && e.cause === 'rotation_timeout');
    expect(timeouts.length).toBeGreaterThan(0);
    for (const failure of timeouts) {
      expect(effects(0, 'message-lost').some((e) => e.device === failure.device && e.t === failure.t - REQUEST_TIMEOUT)).toBe(true);
    }
    // A trust bundle lost on its way is delivered at the device's next connect: every steady device applies it.
    const applied = new Set(run.events.filter((e) => e.type === 'device.trust-update' && e.result === 'applied').map((e) => e.device));
    expect(applied.size).toBe(4);
  });

  it('answers CSRs with 503 ServiceUnavailable while the CA is down, and issues again after the window', () => {
    const issuance = run.events.filter((e) => e.type === 'broker.issuance');
    const refused = issuance.filter((e) => e.ok === false);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => e.reason === 'ServiceUnavailable' && inWindow(DOWN, e.t))).toBe(true);
    expect(issuance.filter((e) => e.ok && inWindow(DOWN, e.t))).toEqual([]);
    const failed = run.events.filter((e) => e.type === 'device.rotation' && e.cause === 'ca_unavailable');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => inWindow(DOWN, e.t))).toBe(true);
    const down = run.summary.faults[1];
    expect(down?.requests.refused).toBe(refused.length);
    // Recovery: each refused device's first certificate after the window; the last of them ends it.
    const devices = new Set(refused.map((e) => e.device));
    const backAt = [...devices].map((d) => issuance.find((e) => e.ok && e.device === d && e.t >= DOWN.to)?.t);
    expect(backAt.every((t) => t !== undefined)).toBe(true);
    expect(down?.devicesAffected).toBe(devices.size);
    expect(down?.recovery.seconds).toBe((Math.max(...(backAt as number[])) - DOWN.to) / 1000);
  });

  it('serves the CSRs that reach a slow CA two simulated hours later', () => {
    const delayed = effects(2, 'request-delayed');
    expect(delayed.length).toBeGreaterThan(0);
    expect(run.summary.faults[2]?.requests.delayed).toBe(delayed.length);
    for (const request of delayed) {
      expect(run.events.some((e) => e.type === 'broker.issuance' && e.ok && e.device === request.device && e.t === request.t + SLOW.delay)).toBe(true);
    }
    expect(run.summary.faults[2]?.recovery.seconds).not.toBeNull();
  });

  it('cuts the partitioned cohort off with the transport cause while the other cohort is served, and measures its return', () => {
    const connects = run.events.filter((e) => e.type === 'device.connect' && inWindow(CUT, e.t));
    const steady = connects.filter((e) => e.cohort === 'steady');
    expect(steady.length).toBeGreaterThan(0);
    expect(steady.every((e) => e.cause === 'broker_unreachable')).toBe(true);
    expect(run.events.filter((e) => e.type === 'device.connect' && e.cohort === 'other' && e.cause === 'broker_unreachable')).toEqual([]);
    const cut = run.summary.faults[3];
    expect(cut?.connects.failed).toBe(steady.length);
    const dropped = effects(3, 'session-dropped');
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((e) => e.t === CUT.from && e.cohort === 'steady')).toBe(true);
    expect(cut?.sessionsDropped).toBe(dropped.length);
    const affected = new Set([...steady.map((e) => e.device), ...dropped.map((e) => e.device)]);
    const backAt = [...affected].map((d) => run.events.find((e) => e.type === 'device.connect' && e.cause === 'ok' && e.device === d && e.t >= CUT.to)?.t);
    expect(cut?.devicesAffected).toBe(affected.size);
    expect(backAt.every((t) => t !== undefined)).toBe(true);
    expect(cut?.recovery).toMatchObject({ recoveredDevices: affected.size, unrecoveredDevices: 0 });
    expect(cut?.recovery.seconds).toBe((Math.max(...(backAt as number[])) - CUT.to) / 1000);
    // Availability: the fleet's share at the last sample before the partition, back at the first sample after it.
    const before = run.summary.availability.samples.filter((a) => Date.parse(a.t) <= CUT.from).at(-1);
    expect(cut?.recovery.availabilityBefore).toBe(before?.connected);
    const back = run.summary.availability.samples.find((a) => Date.parse(a.t) >= CUT.to && a.connected >= (before?.connected ?? 1));
    expect(cut?.recovery.availabilityBackAt).toBe(back?.t ?? null);
  });

  it('exposes the faults as threshold metrics', () => {
    const actual = (metric: string) => run.summary.thresholds.find((t) => t.metric === metric)?.actual;
    expect(actual('faults.messagesLost')).toBe(run.summary.faults[0]?.messages.lost);
    expect(actual('faults.requestsRefused')).toBe(run.summary.faults[1]?.requests.refused);
    expect(actual('faults.connectsFailed')).toBe(run.summary.faults[3]?.connects.failed);
    const recovery = run.summary.faults.map((f) => f.recovery.seconds);
    expect(recovery.every((seconds) => seconds !== null)).toBe(true);
    expect(actual('recovery.seconds')).toBe(Math.max(...(recovery as number[])));
  });

  it('lists the faults in summary.md', () => {
    const markdown = readFileSync(join(run.dir, 'summary.md'), 'utf8');
    const cut = run.summary.faults[3];
    expect(markdown).toContain('## Injected faults');
    expect(markdown).toContain(
      `| cohort steady partitioned from the broker | ${cut?.from} | ${cut?.to} | 0 / 0 | 0 | 0 | ${cut?.connects.failed} | ${cut?.sessionsDropped} | ${cut?.devicesAffected} | ${cut?.recovery.seconds} s after |`,
    );
  });

  it('gives the same per-fault and per-cause counts on a second run and on two workers', () => {
    expect(countsOf(again)).toEqual(countsOf(run));
    expect(countsOf(twoWorkers)).toEqual(countsOf(run));
  });
});
