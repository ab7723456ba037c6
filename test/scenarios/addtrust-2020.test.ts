import { beforeAll, describe, expect, it } from 'vitest';
import { connectsOf, firstFailures, firstOf, loadShipped, runShipped, sampleAt, type TransitionRun } from './trust-transition-run.js';

const NAME = 'addtrust-2020';
/** AddTrust External CA Root's notAfter, shared by the USERTrust RSA cross-certificate (domain research 3.2). */
const T0 = Date.parse('2020-05-30T10:48:38Z');
/** The broker drops the cross-certificate six hours later. */
const REMEDIATION = T0 + 6 * 3_600_000;

describe('addtrust-2020: the file', () => {
  it('is a valid scenario: the legacy root and its cross-certificate expire at 10:48:38Z, the fix comes six hours later', () => {
    const { scenario } = loadShipped(NAME);
    const authority = (name: string) => scenario.pki.authorities.find((a) => a.name === name);
    expect(authority('addtrust-external-root')?.notAfter).toBe(T0);
    expect(authority('usertrust-rsa-by-addtrust')).toMatchObject({ crossSigns: 'usertrust-rsa', issuer: 'addtrust-external-root', notAfter: T0 });
    expect(authority('usertrust-rsa')?.mirrors?.subjectCN).toBe('USERTrust RSA Certification Authority');
    expect(scenario.events).toEqual([{ type: 'server-certificate', at: REMEDIATION, use: 'broker-modern-chain' }]);
    expect(scenario.pki.serverCertificates.map((s) => [s.name, s.chain])).toEqual([
      ['broker-legacy-chain', ['sectigo-rsa-dv', 'usertrust-rsa-by-addtrust']],
      ['broker-modern-chain', ['sectigo-rsa-dv']],
    ]);
  });
});

describe('addtrust-2020: 40 devices over the 13 hours around the expiry', () => {
  let run: TransitionRun;
  const size = (cohort: string) => run.summary.cohorts[cohort]?.devices ?? 0;

  beforeAll(async () => {
    run = await runShipped(NAME, 40);
  }, 120_000);

  it('runs the whole timeline with 32, 6 and 2 devices per cohort', () => {
    expect(run.summary.complete).toBe(true);
    expect(Object.values(run.summary.cohorts).map((c) => c.devices)).toEqual([32, 6, 2]);
  });

  it('never fails the modern path builders: they reach USERTrust RSA from their own store', () => {
    expect(run.summary.failures.byCohort['modern-path-builders']).toEqual({});
    const connects = connectsOf(run, 'modern-path-builders');
    expect(connects.some((e) => e.t > T0 && e.t < REMEDIATION)).toBe(true);
    expect(connects.every((e) => e.cause === 'ok' && e.path?.at(-1) === 'USERTrust RSA Certification Authority')).toBe(true);
  });

  it('fails every untrusted-first device at its first connect after T0 with expired_on_chosen_path, and none before', () => {
    const untrusted = run.summary.failures.byCohort['untrusted-first'] ?? {};
    expect(Object.keys(untrusted)).toEqual(['device:expired_on_chosen_path']);
    expect(untrusted['device:expired_on_chosen_path']?.devices).toBe(size('untrusted-first'));
    expect(firstOf(run, 'untrusted-first', 'device:expired_on_chosen_path')).toBeGreaterThan(T0);
    expect(Date.parse(untrusted['device:expired_on_chosen_path']?.last ?? '')).toBeLessThan(REMEDIATION);
    const connects = connectsOf(run, 'untrusted-first');
    expect(connects.filter((e) => e.t <= T0).every((e) => e.cause === 'ok')).toBe(true);
    // Between T0 and the fix, no connect succeeds: the path through the served cross-certificate ends at the expired
    // AddTrust root, although USERTrust RSA is in the same store.
    const during = connects.filter((e) => e.t > T0 && e.t < REMEDIATION);
    expect(during.every((e) => e.cause === 'expired_on_chosen_path' && e.certificateCause === 'expired_root' && e.failed === 'AddTrust External CA Root')).toBe(true);
    expect(new Set(during.map((e) => e.device)).size).toBe(size('untrusted-first'));
  });

  it('recovers every untrusted-first device once the broker drops the cross-certificate', () => {
    const connects = connectsOf(run, 'untrusted-first');
    const after = connects.filter((e) => e.t >= REMEDIATION);
    expect(after.every((e) => e.cause === 'ok' && e.path?.at(-1) === 'USERTrust RSA Certification Authority')).toBe(true);
    expect(new Set(after.map((e) => e.device)).size).toBe(size('untrusted-first'));
    expect(run.summary.unrecovered.list.some((d) => d.cohort === 'untrusted-first')).toBe(false);
  });

  it('fails the legacy-root-only devices with expired_root after T0 and untrusted_root after the fix, for good', () => {
    const legacy = run.summary.failures.byCohort['legacy-root-only'] ?? {};
    expect(Object.keys(legacy).sort()).toEqual(['device:expired_root', 'device:untrusted_root']);
    expect(firstOf(run, 'legacy-root-only', 'device:expired_root')).toBeGreaterThan(T0);
    expect(Date.parse(legacy['device:expired_root']?.last ?? '')).toBeLessThan(REMEDIATION);
    expect(firstOf(run, 'legacy-root-only', 'device:untrusted_root')).toBeGreaterThanOrEqual(REMEDIATION);
    expect([...firstFailures(run, 'legacy-root-only').values()].every((t) => t > T0 && t < REMEDIATION)).toBe(true);
    expect(connectsOf(run, 'legacy-root-only').filter((e) => e.t > T0).every((e) => e.cause !== 'ok')).toBe(true);
    expect(run.summary.unrecovered.devices).toBe(size('legacy-root-only'));
    expect(run.summary.unrecovered.byCause).toEqual({ 'device:untrusted_root': size('legacy-root-only') });
  });

  it('shows the outage of the untrusted-first cohort in the hourly availability samples', () => {
    expect(sampleAt(run, '2020-05-30T10:00:00Z').connected).toBe(1);
    expect(sampleAt(run, '2020-05-30T16:00:00Z').cohorts).toEqual({ 'modern-path-builders': 1, 'untrusted-first': 0, 'legacy-root-only': 0 });
    expect(sampleAt(run, '2020-05-30T20:00:00Z').cohorts).toEqual({ 'modern-path-builders': 1, 'untrusted-first': 1, 'legacy-root-only': 0 });
  });
});
