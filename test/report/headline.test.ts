import { describe, expect, it } from 'vitest';
import { headline, largestDrop, type HeadlineSource } from '../../sim/report/headline.js';
import type { Incident } from '../../sim/results/incident.js';
import { DAY } from '../support/time.js';

const START = Date.parse('2030-01-01T00:00:00Z');
/** Sample i is taken at START + (i + 1) days, as a daily timeline starting at START samples. */
const at = (i: number) => new Date(START + (i + 1) * DAY).toISOString();

interface Shape {
  connected: number[];
  /** Failures per "judge:cause" in the interval that ends at sample i. */
  failures?: Record<number, Record<string, number>>;
  markers?: string[];
  devices?: number;
  unrecovered?: number;
  complete?: boolean;
}

function summary(shape: Shape): HeadlineSource {
  return {
    complete: shape.complete ?? true,
    devices: shape.devices ?? 1000,
    timeline: { reached: at(shape.connected.length - 1) },
    availability: { samples: shape.connected.map((connected, i) => ({ t: at(i), connected })) },
    activity: shape.connected.map((_, i) => ({ t: at(i), failures: shape.failures?.[i] ?? {} })),
    markers: (shape.markers ?? []).map((t) => ({ t })),
    unrecovered: { devices: shape.unrecovered ?? 0 },
  };
}

describe('the report headline of a summary without incidents (written before they existed, or nothing failed)', () => {
  it('names the drop, the marker it started at, the dominant cause in plain English and the unrecovered share', () => {
    const text = headline(
      summary({
        connected: [1, 1, 0.876, 0.876, 0.9],
        failures: { 2: { 'device:untrusted_root': 300, 'device:expired_root': 20 }, 4: { 'device:expired_root': 900 } },
        markers: [at(1)],
        unrecovered: 8,
      }),
    );
    expect(text).toBe(
      "12.4% of devices lost connectivity at 2030-01-03T00:00Z: no path from the certificate to any anchor in the judge's trust store (device:untrusted_root); 0.8% never recovered.",
    );
  });

  it('picks the largest of two drops and takes the cause from that drop\'s intervals only', () => {
    const text = headline(
      summary({
        connected: [1, 0.95, 1, 0.7, 0.7, 1],
        failures: { 1: { 'broker:expired_leaf': 5000 }, 3: { 'device:expired_on_chosen_path': 40, 'device:expired_root': 10 } },
      }),
    );
    expect(text).toMatch(/^30\.0% of devices lost connectivity between 2030-01-04T00:00Z and 2030-01-05T00:00Z: /);
    expect(text).toContain('(device:expired_on_chosen_path)');
    expect(text).not.toContain('expired_leaf');
    expect(text).toMatch(/every device could connect again by the end\.$/);
  });

  it('spans a gradual decline from its last top sample to its first bottom sample, adding up the causes over it', () => {
    const text = headline(
      summary({
        connected: [1, 1, 0.9, 0.8, 0.8, 0.7, 0.7],
        failures: { 2: { 'device:untrusted_root': 10 }, 3: { 'device:expired_root': 8 }, 5: { 'device:expired_root': 8 }, 6: { 'device:untrusted_root': 100 } },
        unrecovered: 300,
      }),
    );
    expect(text).toBe(
      '30.0% of devices lost connectivity between 2030-01-03T00:00Z and 2030-01-07T00:00Z: the trust anchor is past its notAfter (device:expired_root); 30.0% never recovered.',
    );
  });

  it('says when a drop came with no failed connect (devices going offline as planned)', () => {
    expect(headline(summary({ connected: [1, 0.8, 1] }))).toBe(
      '20.0% of devices lost connectivity between 2030-01-02T00:00Z and 2030-01-03T00:00Z, with no failed connect in that time; every device could connect again by the end.',
    );
  });

  it('says that every device stayed connected when none ever dropped', () => {
    expect(headline(summary({ connected: [1, 1, 1] }))).toBe('All 1,000 devices stayed connected at every sample from 2030-01-02T00:00Z to 2030-01-04T00:00Z.');
  });

  it('describes a curve that only rises, and the devices still unable to connect', () => {
    expect(headline(summary({ connected: [0.5, 0.8, 0.99], devices: 200, unrecovered: 2 }))).toBe(
      'Availability never fell: the connected share of the 200 devices went from 50.0% to 99.0% between 2030-01-02T00:00Z and 2030-01-04T00:00Z; 1.0% were unable to connect at the end.',
    );
  });

  it('speaks of the point where a partial run stopped, not of the end', () => {
    const stopped = headline(summary({ connected: [1, 0.6], failures: { 1: { 'device:expired_root': 3 } }, unrecovered: 400, complete: false }));
    expect(stopped).toMatch(/; 40\.0% were still unable to connect when the run stopped at 2030-01-03T00:00Z\.$/);
    const recovered = headline(summary({ connected: [1, 0.6, 1], failures: { 1: { 'device:expired_root': 3 } }, complete: false }));
    expect(recovered).toMatch(/; every device could connect when the run stopped at 2030-01-04T00:00Z\.$/);
  });

  it('keeps one device of 10,000 visible instead of rounding it to 0.0%', () => {
    const text = headline(summary({ connected: [1, 0.9999, 0.9999], failures: { 1: { 'device:revoked': 1 } }, devices: 10_000, unrecovered: 1 }));
    expect(text).toMatch(/^0\.01% of devices lost connectivity .*; 0\.01% never recovered\.$/);
  });

  it('says so when the run stopped before its first sample', () => {
    expect(headline({ ...summary({ connected: [] }), timeline: { reached: '2030-01-01T06:00:00.000Z' }, complete: false })).toBe(
      'No availability sample was taken: the run stopped at 2030-01-01T06:00Z, before its first sample.',
    );
  });
});

describe('the largest availability drop', () => {
  it('runs from the last sample at the top to the first sample at the bottom of a fall that never rises', () => {
    const drop = largestDrop([1, 1, 0.9, 0.9, 0.8, 0.8, 0.9].map((connected) => ({ connected })));
    expect(drop?.from).toBe(1);
    expect(drop?.to).toBe(4);
    expect(drop?.share).toBeCloseTo(0.2, 10);
  });

  it('is undefined for a flat or rising curve', () => {
    expect(largestDrop([1, 1, 1].map((connected) => ({ connected })))).toBeUndefined();
    expect(largestDrop([0.2, 0.5].map((connected) => ({ connected })))).toBeUndefined();
  });
});

/** An incident as summary.json has it; only what the headline reads varies. */
function incident(start: string, causes: Incident['causes'], lowest: Incident['lowest'], recovered: Incident['recovered']): Incident {
  const devicesHit = causes.reduce((n, c) => n + c.devicesAffected, 0);
  const lead = causes[0] ?? { cause: 'device:expired_root', devicesAffected: 0, attempts: 0 };
  return { start, ...lead, causes, devicesHit, cohorts: { fleet: devicesHit }, devices: [], lowest, recovered, lastFailureAt: start };
}

describe('the report headline of a run with incidents', () => {
  const dstRoot = (): HeadlineSource => ({
    ...summary({ connected: [1, 0.85, 0.85, 0.6], devices: 100, unrecovered: 40 }),
    incidents: [
      incident(
        '2021-09-30T14:01:15.077Z',
        [
          { cause: 'device:expired_on_chosen_path', devicesAffected: 10, attempts: 973 },
          { cause: 'device:expired_root', devicesAffected: 5, attempts: 496 },
        ],
        { t: '2021-10-01T00:00:00.000Z', connected: 0.85 },
        { devices: 0, lastAt: null },
      ),
      incident(
        '2024-09-30T18:14:03.066Z',
        [{ cause: 'device:expired_intermediate', devicesAffected: 25, attempts: 623 }],
        { t: '2024-10-01T00:00:00.000Z', connected: 0.6 },
        { devices: 0, lastAt: null },
      ),
    ],
  });

  it('tells every incident in order: its start, devices hit, causes by devices with attempts beside, lowest point and recovery', () => {
    expect(headline(dstRoot())).toBe(
      '2 incidents. ' +
        'From 2021-09-30T14:01:15Z, 15 devices (15.0%) started failing: 10 (10.0%) the path the judge built has an expired certificate although another valid path to a trusted anchor existed ' +
        '(device:expired_on_chosen_path, 973 attempts); 5 (5.0%) device:expired_root (496 attempts); availability fell to 85.0% by 2021-10-01T00:00Z; none connected again. ' +
        'From 2024-09-30T18:14:03Z, 25 devices (25.0%) started failing: an intermediate or cross-signed CA certificate on the path is past its notAfter ' +
        '(device:expired_intermediate, 623 attempts); availability fell to 60.0% by 2024-10-01T00:00Z; none connected again. 40.0% never recovered.',
    );
  });

  it('says when every device hit was back, and how many of them never were', () => {
    const source = dstRoot();
    const [first, second] = source.incidents ?? [];
    if (!first || !second) throw new Error('two incidents expected');
    const text = headline({
      ...source,
      unrecovered: { devices: 15 },
      incidents: [{ ...first, recovered: { devices: 15, lastAt: '2021-10-03T08:00:00.000Z' } }, { ...second, recovered: { devices: 10, lastAt: null } }],
    });
    expect(text).not.toContain('none');
    expect(text).toContain('; all 15 connected again by 2021-10-03T08:00Z. ');
    expect(text).toContain('; 10 of 25 connected again, 15 never did. 15.0% never recovered.');
  });

  it('speaks of devices still failing when a partial run stopped', () => {
    const text = headline({ ...dstRoot(), complete: false });
    expect(text).toContain('none had connected again when the run stopped');
    expect(text).toMatch(/40\.0% were still unable to connect when the run stopped at 2030-01-05T00:00Z\.$/);
  });

  it('tells the first five of many incidents and counts the rest, naming when the last began', () => {
    const many = Array.from({ length: 9 }, (_, i) =>
      incident(`2030-0${i + 1}-01T00:00:00.000Z`, [{ cause: 'device:revoked', devicesAffected: 1, attempts: 2 }], { t: `2030-0${i + 1}-02T00:00:00.000Z`, connected: 0.99 }, { devices: 1, lastAt: `2030-0${i + 1}-03T00:00:00.000Z` }),
    );
    const text = headline({ ...summary({ connected: [1, 0.99, 1] }), incidents: many });
    expect(text.startsWith('9 incidents. From 2030-01-01T00:00Z, 1 device (0.1%) started failing: ')).toBe(true);
    expect(text.match(/From 20/g)).toHaveLength(5);
    expect(text).toContain('Then 4 more incidents until 2030-09-01T00:00Z, each listed below.');
    expect(text).toContain('; availability fell to 99.0% by 2030-01-02T00:00Z; it connected again by 2030-01-03T00:00Z.');
    expect(text).toMatch(/Every device could connect again by the end\.$/);
  });
});

describe('the report headline of an incident no sample caught', () => {
  it('says no availability sample caught it instead of availability falling to 100%', () => {
    const quick = incident('2030-01-01T10:00:00.000Z', [{ cause: 'broker:broker_unavailable', devicesAffected: 3, attempts: 3 }], { t: '2030-01-02T00:00:00.000Z', connected: 1 }, { devices: 3, lastAt: '2030-01-01T10:00:02.000Z' });
    expect(headline({ ...summary({ connected: [1, 1] }), incidents: [quick] })).toBe(
      'One incident. From 2030-01-01T10:00Z, 3 devices (0.3%) started failing: the broker was down (restarting) when the device tried to connect (broker:broker_unavailable, 3 attempts); ' +
        'no availability sample caught it; all 3 connected again by 2030-01-01T10:00:02Z. Every device could connect again by the end.',
    );
  });
});
