import { describe, expect, it } from 'vitest';
import { compareFigures, flattenFigures } from '../../sim/report/compare-runs.js';
import { comparisonTable } from '../../sim/report/compare-table.js';

/** The shape of summary.json, cut down to a few of each kind of field. */
function summary(overrides: { expiredRoot?: number; rate?: number; unrecovered?: number; cohort?: string; actual?: number | null } = {}) {
  const cohort = overrides.cohort ?? 'frozen-strict';
  return {
    complete: true,
    scenario: 'root-expiry-2030',
    seed: 2030,
    devices: 50,
    timeline: { start: '2029-06-01T00:00:00.000Z' },
    rotations: {
      attempted: 55,
      latencyMs: { count: 53, p50: 17, distribution: [{ ms: 17, cumulative: 53 }] },
      throughputPerWallSecond: overrides.rate ?? 3.4,
    },
    failures: { byCause: { 'device:expired_root': { count: overrides.expiredRoot ?? 335, devices: 8, first: '2030-01-01T00:00:01.000Z' } } },
    cohorts: { [cohort]: { devices: 5, lockedOut: 0 } },
    unrecovered: { devices: overrides.unrecovered ?? 17, byCause: { 'device:untrusted_root': 17 }, list: [{ device: 'device-00001', cohort, cause: 'device:untrusted_root', since: '2030-02-01T00:00:00.000Z' }] },
    availability: { samples: [{ t: '2029-06-02T00:00:00.000Z', connected: 1 }], lowest: { t: '2030-01-29T00:00:00.000Z', connected: 0.66 } },
    activity: [{ t: '2029-06-02T00:00:00.000Z', rotationsSucceeded: 1, failures: {} }],
    markers: [{ t: '2030-01-01T00:00:00.000Z', kind: 'expiry', label: 'root root-2010 expires' }],
    audits: { settings: { deviceCertificateExpiringDays: 30 }, checks: { CA_CERT_EXPIRING: { max: 1, series: [{ t: '2029-12-02T00:00:00.000Z', count: 1 }], final: [] } } },
    harness: { speed: 'max', lateEpochs: 0 },
    thresholds: [{ name: 'no.dots == 0', check: 'lockedOut == 0', expected: 0, actual: overrides.actual === undefined ? 0 : overrides.actual, passed: true }],
    thresholdsPassed: true,
  };
}

describe('flattening summary.json into figures', () => {
  const figures = flattenFigures(summary());

  it('gives every numeric leaf a dotted path, causes and cohorts included', () => {
    expect(figures.get('devices')).toBe(50);
    expect(figures.get('rotations.latencyMs.p50')).toBe(17);
    expect(figures.get('failures.byCause.device:expired_root.count')).toBe(335);
    expect(figures.get('cohorts.frozen-strict.devices')).toBe(5);
    expect(figures.get('availability.lowest.connected')).toBe(0.66);
    expect(figures.get('audits.checks.CA_CERT_EXPIRING.max')).toBe(1);
  });

  it('skips the per-sample and per-device lists, text and flags', () => {
    const paths = [...figures.keys()];
    for (const skipped of ['availability.samples', 'activity', 'markers', 'unrecovered.list', 'rotations.latencyMs.distribution', 'audits.checks.CA_CERT_EXPIRING.series']) {
      expect(paths.filter((p) => p.startsWith(skipped))).toEqual([]);
    }
    expect(paths).not.toContain('complete');
    expect(paths).not.toContain('harness.speed');
    expect(paths).not.toContain('scenario');
  });

  it('keys thresholds by name, bracketed because names hold dots and spaces', () => {
    expect(figures.get('thresholds["no.dots == 0"].expected')).toBe(0);
    expect(figures.get('thresholds["no.dots == 0"].actual')).toBe(0);
    // A threshold with no data has no actual figure.
    expect(flattenFigures(summary({ actual: null })).has('thresholds["no.dots == 0"].actual')).toBe(false);
  });
});

describe('comparing two runs\' figures', () => {
  it('computes B - A and the change relative to A, and marks only the figures that differ', () => {
    const rows = compareFigures(flattenFigures(summary()), flattenFigures(summary({ expiredRoot: 721, rate: 4.4, unrecovered: 0 })));
    const row = (figure: string) => rows.find((r) => r.figure === figure);
    expect(row('failures.byCause.device:expired_root.count')).toMatchObject({ a: 335, b: 721, delta: 386, changed: true });
    expect(row('failures.byCause.device:expired_root.count')?.deltaPercent).toBeCloseTo(115.22, 2);
    // No floating-point dust: 4.4 - 3.4 is 1.
    expect(row('rotations.throughputPerWallSecond')?.delta).toBe(1);
    expect(row('unrecovered.devices')).toMatchObject({ a: 17, b: 0, delta: -17, deltaPercent: -100, changed: true });
    expect(row('devices')).toMatchObject({ a: 50, b: 50, delta: 0, deltaPercent: 0, changed: false });
    expect(rows.filter((r) => r.changed).map((r) => r.figure)).toEqual([
      'rotations.throughputPerWallSecond',
      'failures.byCause.device:expired_root.count',
      'unrecovered.devices',
    ]);
  });

  it('lists a figure that exists in one run only, next to its neighbours, and says which', () => {
    const rows = compareFigures(flattenFigures(summary()), flattenFigures(summary({ cohort: 'legacy' })));
    const onlyA = rows.find((r) => r.figure === 'cohorts.frozen-strict.devices');
    const onlyB = rows.find((r) => r.figure === 'cohorts.legacy.devices');
    expect(onlyA).toMatchObject({ a: 5, b: undefined, onlyIn: 'a', changed: true });
    expect(onlyB).toMatchObject({ a: undefined, b: 5, onlyIn: 'b', changed: true });
    const figures = rows.map((r) => r.figure);
    // B lists it after its failure tallies, so it comes right after them.
    expect(figures.indexOf('cohorts.legacy.devices')).toBe(figures.indexOf('failures.byCause.device:expired_root.devices') + 1);
  });

  it('has no relative change from zero to something', () => {
    const rows = compareFigures(new Map([['lockedOut', 0]]), new Map([['lockedOut', 3]]));
    expect(rows[0]).toMatchObject({ delta: 3, deltaPercent: undefined, changed: true });
  });
});

describe('the terminal table', () => {
  it('prints figure, A, B, delta and delta %, with * on changed rows and a count of them', () => {
    const rows = compareFigures(flattenFigures(summary()), flattenFigures(summary({ expiredRoot: 721, cohort: 'legacy' })));
    const lines = comparisonTable(rows).split('\n');
    expect(lines[0]).toMatch(/^\s+figure\s+A\s+B\s+delta\s+delta %$/);
    expect(lines.find((l) => l.includes('failures.byCause.device:expired_root.count'))).toMatch(/^\* failures\.byCause\.device:expired_root\.count\s+335\s+721\s+\+386\s+\+115\.2%$/);
    expect(lines.find((l) => /^[ *] devices\s/.test(l))).toMatch(/^ {2}devices\s+50\s+50\s+0\s+0%$/);
    expect(lines.find((l) => l.includes('cohorts.legacy.devices'))).toMatch(/^\* cohorts\.legacy\.devices\s+—\s+5\s+only in B$/);
    expect(lines.at(-1)).toBe(`${rows.filter((r) => r.changed).length} of ${rows.length} figures differ (marked *)`);
  });
});
