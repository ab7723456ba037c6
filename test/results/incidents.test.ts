import { describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import { FailureTally } from '../../sim/results/failure-tally.js';
import { findIncidents, INCIDENT_GAP_SAMPLES } from '../../sim/results/incidents.js';
import { DAY, HOUR, MINUTE, SECOND } from '../support/time.js';

const T0 = Date.UTC(2030, 0, 1);
const YEAR = 365 * DAY;
const COHORT: Record<string, string> = { a1: 'strict', a2: 'strict', b1: 'lenient', b2: 'lenient', b3: 'lenient', c1: 'other' };

/** A failed connect as the device reports it (the device judged the chain). */
const fail = (device: string, t: number, cause: 'expired_root' | 'expired_on_chosen_path' | 'expired_intermediate'): FleetEvent => ({ type: 'device.connect', t, device, cause });
const ok = (device: string, t: number): FleetEvent => ({ type: 'device.connect', t, device, cause: 'ok' });

/** Daily samples of the share connected: `connected(t)` for each day from T0 to `days` later. */
function daily(days: number, connected: (t: number) => number) {
  return Array.from({ length: days + 1 }, (_, i) => ({ t: T0 + i * DAY, connected: connected(T0 + i * DAY) }));
}

function incidentsOf(events: FleetEvent[], options: { days?: number; connected?: (t: number) => number; markers?: { t: number; label: string }[]; reconnectEvery?: number } = {}) {
  const tally = new FailureTally((device) => COHORT[device] ?? 'unknown');
  for (const event of events) tally.add(event);
  const days = options.days ?? 30;
  return findIncidents({
    episodes: tally.episodes(),
    availability: daily(days, options.connected ?? (() => 1)),
    markers: options.markers ?? [],
    sample: DAY,
    reconnectEvery: options.reconnectEvery,
    reached: T0 + days * DAY,
  });
}

describe('the incidents of a run', () => {
  it('makes one incident of two causes that start together, led by the cause that hit more devices although the other had more attempts', () => {
    const start = T0 + 2 * DAY + 14 * HOUR;
    const events = [
      ...['a1', 'a2', 'b1', 'b2', 'b3'].map((d) => ok(d, T0)),
      // a1 retries many times: expired_root has the most attempts, expired_on_chosen_path the most devices.
      ...Array.from({ length: 40 }, (_, i) => fail('a1', start + i * MINUTE, 'expired_root')),
      fail('b1', start + SECOND, 'expired_on_chosen_path'),
      fail('b2', start + 2 * SECOND, 'expired_on_chosen_path'),
      fail('b3', start + DAY, 'expired_on_chosen_path'),
    ];
    const { incidents } = incidentsOf(events, { connected: (t) => (t > start ? 0.2 : 1) });
    expect(incidents).toHaveLength(1);
    const [incident] = incidents;
    expect(incident?.start).toBe(new Date(start).toISOString());
    expect(incident?.cause).toBe('device:expired_on_chosen_path');
    expect(incident?.devicesAffected).toBe(3);
    expect(incident?.attempts).toBe(3);
    expect(incident?.causes).toEqual([
      { cause: 'device:expired_on_chosen_path', devicesAffected: 3, attempts: 3 },
      { cause: 'device:expired_root', devicesAffected: 1, attempts: 40 },
    ]);
    expect(incident?.devicesHit).toBe(4);
    expect(incident?.cohorts).toEqual({ strict: 1, lenient: 3 });
    expect(incident?.devices).toEqual(['a1', 'b1', 'b2', 'b3']);
    expect(incident?.lowest).toEqual({ t: new Date(T0 + 3 * DAY).toISOString(), connected: 0.2 });
    expect(incident?.recovered).toEqual({ devices: 0, lastAt: null });
    expect(incident?.lastFailureAt).toBe(new Date(start + DAY).toISOString());
  });

  it('counts the devices that connected again and when the last did, or null while one never did', () => {
    const start = T0 + DAY;
    const allBack = incidentsOf([fail('a1', start, 'expired_root'), fail('a2', start + HOUR, 'expired_root'), ok('a1', start + 2 * DAY), ok('a2', start + 5 * DAY)]);
    expect(allBack.incidents[0]?.recovered).toEqual({ devices: 2, lastAt: new Date(start + 5 * DAY).toISOString() });
    const oneLeft = incidentsOf([fail('a1', start, 'expired_root'), fail('a2', start + HOUR, 'expired_root'), ok('a1', start + 2 * DAY)]);
    expect(oneLeft.incidents[0]?.recovered).toEqual({ devices: 1, lastAt: null });
  });

  it('ends an incident\'s lowest point where every device hit is back, so a later dip is not blamed on it', () => {
    const start = T0 + DAY;
    const { incidents } = incidentsOf([fail('a1', start, 'expired_root'), ok('a1', start + 3 * DAY)], {
      connected: (t) => (t === T0 + 2 * DAY ? 0.9 : t === T0 + 20 * DAY ? 0.5 : 1),
    });
    expect(incidents[0]?.lowest).toEqual({ t: new Date(T0 + 2 * DAY).toISOString(), connected: 0.9 });
  });

  it('makes a second wave of the same cause years later a second incident, in order, with its own devices and lowest point', () => {
    const first = T0 + DAY;
    const second = first + 3 * YEAR;
    const events = [
      fail('a1', first, 'expired_intermediate'),
      ok('a1', first + HOUR),
      fail('b1', second, 'expired_intermediate'),
      fail('b2', second + 2 * DAY, 'expired_intermediate'),
      fail('a1', second + 3 * DAY, 'expired_intermediate'),
    ];
    const days = 3 * 365 + 30;
    const { incidents } = incidentsOf(events, { days, connected: (t) => (t > second ? 0.4 : t > first && t < first + DAY ? 0.9 : 1) });
    expect(incidents.map((i) => [i.start, i.cause, i.devicesHit])).toEqual([
      [new Date(first).toISOString(), 'device:expired_intermediate', 1],
      [new Date(second).toISOString(), 'device:expired_intermediate', 3],
    ]);
    expect(incidents[0]?.recovered).toEqual({ devices: 1, lastAt: new Date(first + HOUR).toISOString() });
    // The first incident was over within the day: its lowest is the first sample after its start, not the later cliff.
    expect(incidents[0]?.lowest.connected).toBe(1);
    expect(incidents[1]?.lowest.connected).toBe(0.4);
    expect(incidents[1]?.devices).toEqual(['b1', 'b2', 'a1']);
  });

  it('keeps devices that start failing a little more than the gap apart in separate incidents, and within it in one', () => {
    const start = T0 + DAY;
    const within = incidentsOf([fail('a1', start, 'expired_root'), fail('a2', start + INCIDENT_GAP_SAMPLES * DAY, 'expired_root')]);
    expect(within.incidents).toHaveLength(1);
    const apart = incidentsOf([fail('a1', start, 'expired_root'), fail('a2', start + INCIDENT_GAP_SAMPLES * DAY + SECOND, 'expired_root')]);
    expect(apart.incidents).toHaveLength(2);
  });

  it('keeps a wave of devices meeting a change at their next reconnect in one incident, up to twice the reconnect interval apart', () => {
    const start = T0 + DAY;
    const events = [fail('a1', start, 'expired_root'), fail('a2', start + 29 * DAY, 'expired_root'), fail('b1', start + 75 * DAY, 'expired_root')];
    const { incidents } = incidentsOf(events, { days: 90, reconnectEvery: 21 * DAY });
    expect(incidents.map((i) => [i.start, i.devicesHit])).toEqual([
      [new Date(start).toISOString(), 2],
      [new Date(start + 75 * DAY).toISOString(), 1],
    ]);
  });

  it('starts a new incident at a marker between two devices\' first failures: a new change, a new story', () => {
    const start = T0 + DAY;
    const events = [fail('a1', start, 'expired_root'), fail('a2', start + 2 * DAY, 'expired_root')];
    const split = incidentsOf(events, { markers: [{ t: start + DAY, label: 'broker switches to broker-g2' }] });
    expect(split.incidents.map((i) => i.start)).toEqual([new Date(start).toISOString(), new Date(start + 2 * DAY).toISOString()]);
    // A marker at or before the first failure explains it and splits nothing.
    expect(incidentsOf(events, { markers: [{ t: start, label: 'root root-2010 expires' }] }).incidents).toHaveLength(1);
  });

  it('says which markers caused nothing: those no device started failing after, within the gap', () => {
    const expiry = T0 + 5 * DAY;
    const rollout = T0 + 20 * DAY;
    const { quietMarkers } = incidentsOf([ok('a1', T0), fail('a1', expiry + SECOND, 'expired_root')], {
      markers: [
        { t: expiry, label: 'root root-2010 expires' },
        { t: rollout, label: 'trust rollout adds root-2030 (100%)' },
        { t: T0 + 40 * DAY, label: 'broker restart' },
      ],
    });
    // The restart lies beyond what the run reached (30 days): nobody can say what it caused.
    expect(quietMarkers).toEqual([{ t: new Date(rollout).toISOString(), label: 'trust rollout adds root-2030 (100%)' }]);
  });

  it('counts a refusal the broker explained under the broker\'s cause, not as a bare refusal', () => {
    const { incidents } = incidentsOf([
      { type: 'device.connect', t: T0 + DAY, device: 'c1', cause: 'connection_refused' },
      { type: 'broker.admission', t: T0 + DAY, device: 'c1', cause: 'revoked' },
    ]);
    expect(incidents[0]?.causes).toEqual([{ cause: 'broker:revoked', devicesAffected: 1, attempts: 1 }]);
    expect(incidents[0]?.cohorts).toEqual({ other: 1 });
  });

  it('finds no incident and every marker quiet when nothing failed', () => {
    const result = incidentsOf([ok('a1', T0)], { markers: [{ t: T0 + DAY, label: 'broker restart' }] });
    expect(result.incidents).toEqual([]);
    expect(result.quietMarkers).toEqual([{ t: new Date(T0 + DAY).toISOString(), label: 'broker restart' }]);
  });
});
