import { beforeAll, describe, expect, it } from 'vitest';
import { connectsOf, firstOf, loadShipped, runShipped, sampleAt, type TransitionRun } from './trust-transition-run.js';

const NAME = 'dst-root-ca-x3-2021';
/** DST Root CA X3's notAfter, and the notAfter of ISRG Root X1 cross-signed by it (domain research 3.1). */
const DST_EXPIRY = Date.parse('2021-09-30T14:01:15Z');
const CROSS_EXPIRY = Date.parse('2024-09-30T18:14:03Z');
const SECOND = 1000;

/** Within the second that starts at `instant`, after it (validity is inclusive of notAfter, RFC 5280 4.1.2.5). */
const inSecondAfter = (t: number, instant: number) => t > instant && t < instant + SECOND;

describe('dst-root-ca-x3-2021: the file', () => {
  it('is a valid scenario with the real validity dates of DST Root CA X3, ISRG Root X1 and the cross-sign', () => {
    const { scenario } = loadShipped(NAME);
    const authority = (name: string) => scenario.pki.authorities.find((a) => a.name === name);
    expect(authority('dst-root-ca-x3')?.notBefore).toBe(Date.parse('2000-09-30T21:12:19Z'));
    expect(authority('dst-root-ca-x3')?.notAfter).toBe(DST_EXPIRY);
    expect(authority('isrg-root-x1')?.mirrors?.subjectCN).toBe('ISRG Root X1');
    expect(authority('isrg-root-x1-by-dst')).toMatchObject({ crossSigns: 'isrg-root-x1', issuer: 'dst-root-ca-x3', notAfter: CROSS_EXPIRY });
    expect(scenario.pki.serverCertificates.map((s) => s.chain)).toEqual([['r3', 'isrg-root-x1-by-dst']]);
    expect(scenario.fleet.cohorts.map((c) => [c.name, c.share])).toEqual([
      ['trusted-first-both', 0.6],
      ['untrusted-first-both', 0.1],
      ['dst-only-ignore-expiry', 0.25],
      ['dst-only-strict', 0.05],
    ]);
  });
});

describe('dst-root-ca-x3-2021: 20 devices from 2021-09 to 2024-12, broker restarts at both expiries', () => {
  let run: TransitionRun;
  const size = (cohort: string) => run.summary.cohorts[cohort]?.devices ?? 0;

  beforeAll(async () => {
    run = await runShipped(NAME, 20);
  }, 120_000);

  it('runs the whole timeline with 12, 2, 5 and 1 devices per cohort', () => {
    expect(run.summary.complete).toBe(true);
    expect(Object.values(run.summary.cohorts).map((c) => c.devices)).toEqual([12, 2, 5, 1]);
  });

  it('makes every connected device judge the chain within the second after each expiry (the restart probes)', () => {
    const probed = (instant: number) =>
      new Set(run.events.filter((e) => e.type === 'device.connect' && inSecondAfter(e.t, instant)).map((e) => e.device)).size;
    expect(probed(DST_EXPIRY)).toBe(20);
    // By 2024 only the two cohorts still connected have a session for the restart to drop.
    expect(probed(CROSS_EXPIRY)).toBe(size('trusted-first-both') + size('dst-only-ignore-expiry'));
  });

  it('fails the untrusted-first cohort with expired_on_chosen_path at 2021-09-30T14:01:15Z, and not the trusted-first one', () => {
    const untrusted = run.summary.failures.byCohort['untrusted-first-both'] ?? {};
    expect(Object.keys(untrusted)).toEqual(['device:expired_on_chosen_path']);
    expect(untrusted['device:expired_on_chosen_path']?.devices).toBe(size('untrusted-first-both'));
    expect(inSecondAfter(firstOf(run, 'untrusted-first-both', 'device:expired_on_chosen_path'), DST_EXPIRY)).toBe(true);
    // It chose the served path to the expired DST Root CA X3 although ISRG Root X1 sits in its store.
    const connects = connectsOf(run, 'untrusted-first-both');
    expect(connects.filter((e) => e.t <= DST_EXPIRY).every((e) => e.cause === 'ok')).toBe(true);
    const after = connects.filter((e) => e.t > DST_EXPIRY);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((e) => e.cause === 'expired_on_chosen_path' && e.certificateCause === 'expired_root' && e.failed === 'DST Root CA X3')).toBe(true);
    // Trusted-first devices with the same store build leaf, R3, ISRG Root X1 and never fail.
    expect(run.summary.failures.byCohort['trusted-first-both']).toEqual({});
    expect(connectsOf(run, 'trusted-first-both').every((e) => e.cause === 'ok' && e.path?.at(-1) === 'ISRG Root X1')).toBe(true);
  });

  it('fails the strict DST-only cohort at 2021-09-30T14:01:15Z with expired_root', () => {
    const strict = run.summary.failures.byCohort['dst-only-strict'] ?? {};
    expect(Object.keys(strict)).toEqual(['device:expired_root']);
    expect(strict['device:expired_root']?.devices).toBe(size('dst-only-strict'));
    expect(inSecondAfter(firstOf(run, 'dst-only-strict', 'device:expired_root'), DST_EXPIRY)).toBe(true);
  });

  it('keeps the Android-like cohort connected through the cross-sign until 2024-09-30T18:14:03Z, then fails it', () => {
    const android = run.summary.failures.byCohort['dst-only-ignore-expiry'] ?? {};
    expect(Object.keys(android)).toEqual(['device:expired_intermediate']);
    expect(android['device:expired_intermediate']?.devices).toBe(size('dst-only-ignore-expiry'));
    expect(inSecondAfter(firstOf(run, 'dst-only-ignore-expiry', 'device:expired_intermediate'), CROSS_EXPIRY)).toBe(true);
    const connects = connectsOf(run, 'dst-only-ignore-expiry');
    // Between the two expiries, every connect succeeds through the cross-sign to the expired (ignored) DST root.
    const between = connects.filter((e) => e.t > DST_EXPIRY && e.t <= CROSS_EXPIRY);
    expect(between.length).toBeGreaterThanOrEqual(size('dst-only-ignore-expiry'));
    expect(between.every((e) => e.cause === 'ok' && e.path?.at(-1) === 'DST Root CA X3')).toBe(true);
    // After it, the cross-signed ISRG Root X1 on the path has expired.
    const after = connects.filter((e) => e.t > CROSS_EXPIRY);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((e) => e.cause === 'expired_intermediate' && e.failed === 'ISRG Root X1')).toBe(true);
  });

  it('shows both cliffs in the availability samples and ends with the three failing cohorts unrecovered', () => {
    expect(sampleAt(run, '2021-09-30T00:00:00Z').connected).toBe(1);
    expect(sampleAt(run, '2021-10-01T00:00:00Z').cohorts).toEqual({
      'trusted-first-both': 1,
      'untrusted-first-both': 0,
      'dst-only-ignore-expiry': 1,
      'dst-only-strict': 0,
    });
    expect(sampleAt(run, '2024-09-30T00:00:00Z').connected).toBe(0.85);
    expect(sampleAt(run, '2024-10-01T00:00:00Z').cohorts).toEqual({
      'trusted-first-both': 1,
      'untrusted-first-both': 0,
      'dst-only-ignore-expiry': 0,
      'dst-only-strict': 0,
    });
    const unrecovered = run.summary.unrecovered;
    expect(unrecovered.devices).toBe(8);
    expect(unrecovered.byCause).toEqual({
      'device:expired_intermediate': 5,
      'device:expired_on_chosen_path': 2,
      'device:expired_root': 1,
    });
    expect(unrecovered.list.some((d) => d.cohort === 'trusted-first-both')).toBe(false);
  });
});
