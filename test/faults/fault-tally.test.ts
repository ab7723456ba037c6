import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { PlannedFault } from '../../sim/plan/fault-plan.js';
import { FaultTally } from '../../sim/results/fault-tally.js';
import { HOUR, MINUTE } from '../support/time.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const devices = ['a', 'b', 'c'].map((id) => ({ id, clientId: id }));
const partition: PlannedFault = { index: 0, kind: 'partition', from: T0, to: T0 + HOUR, label: 'cohort x partitioned from the broker', cohorts: [0] };
const slow: PlannedFault = { index: 1, kind: 'ca-slow', from: T0, to: T0 + HOUR, label: 'CA slow (+2h)', delayMs: 2 * HOUR };

const effect = (fault: number, device: string, t: number, kind: 'connect-failed' | 'session-dropped' | 'request-delayed'): FleetEvent => ({
  type: 'fault.effect',
  t,
  fault,
  device,
  effect: kind,
});
const connected = (device: string, t: number): FleetEvent => ({ type: 'device.connect', t, device, cause: 'ok' });

describe('the fault tally of a run', () => {
  it('measures recovery from the end of the window to the last affected device back, and counts what the fault did', () => {
    const tally = new FaultTally([partition], devices);
    for (const e of [effect(0, 'a', T0, 'session-dropped'), effect(0, 'b', T0 + MINUTE, 'connect-failed'), connected('a', T0 + HOUR + 5 * MINUTE)]) tally.add(e);
    tally.add(connected('b', T0 + HOUR + 20 * MINUTE));
    tally.add(connected('c', T0 + 2 * HOUR));
    const [summary] = tally.summaries([], 3);
    expect(summary).toMatchObject({
      sessionsDropped: 1,
      connects: { failed: 1 },
      devicesAffected: 2,
      recovery: { seconds: 20 * 60, recoveredDevices: 2, unrecoveredDevices: 0, availabilityBefore: null },
    });
  });

  it('has no recovery time while a device it hit has not come back, and restarts a device hit again after it recovered', () => {
    const tally = new FaultTally([partition], devices);
    tally.add(effect(0, 'a', T0, 'session-dropped'));
    tally.add(connected('a', T0 + 30 * MINUTE));
    tally.add(effect(0, 'a', T0 + 40 * MINUTE, 'connect-failed'));
    expect(tally.summaries([], 3)[0]?.recovery).toMatchObject({ seconds: null, recoveredDevices: 0, unrecoveredDevices: 1 });
    tally.add(connected('a', T0 + 90 * MINUTE));
    expect(tally.summaries([], 3)[0]?.recovery).toMatchObject({ seconds: 30 * 60, recoveredDevices: 1 });
  });

  it('counts a slow CA recovered when the delayed certificate is served, 0 s when that was inside the window', () => {
    // Faults are numbered by their place in the scenario's list.
    const tally = new FaultTally([partition, slow], devices);
    tally.add(effect(1, 'a', T0, 'request-delayed'));
    tally.add({ type: 'broker.issuance', t: T0 + 2 * HOUR - MINUTE, device: 'b', ok: true });
    tally.add({ type: 'broker.issuance', t: T0 + 2 * HOUR, device: 'a', ok: true });
    expect(tally.summaries([], 3)[1]).toMatchObject({ requests: { delayed: 1 }, devicesAffected: 1, recovery: { seconds: 3600, recoveredDevices: 1 } });
    const early = new FaultTally([partition, { ...slow, to: T0 + 3 * HOUR }], devices);
    early.add(effect(1, 'a', T0, 'request-delayed'));
    early.add({ type: 'broker.issuance', t: T0 + 2 * HOUR, device: 'a', ok: true });
    expect(early.summaries([], 3)[1]?.recovery.seconds).toBe(0);
  });

  it('reads the availability before the fault and the first sample back at that level', () => {
    const tally = new FaultTally([partition], devices);
    const sample = (t: number, connectedCount: number) => ({ t, cohorts: [{ connected: connectedCount, failing: 3 - connectedCount, offline: 0, renewalBacklog: 0 }] });
    const recovery = tally.summaries([sample(T0 - HOUR, 3), sample(T0 + HOUR, 1), sample(T0 + 2 * HOUR, 2), sample(T0 + 3 * HOUR, 3)], 3)[0]?.recovery;
    expect(recovery).toMatchObject({ availabilityBefore: 1, availabilityBackAt: new Date(T0 + 3 * HOUR).toISOString() });
  });
});
