import { describe, expect, it } from 'vitest';
import { headline, largestDrop, type HeadlineSource } from '../../sim/report/headline.js';
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

describe('the report headline', () => {
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
