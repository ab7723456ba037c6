import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { loadPemBundle } from '../../sim/trust/pem-bundle.js';
import { DAY } from '../support/time.js';
import { ROOT, runCli } from '../support/cli.js';

const SCENARIO = join(ROOT, 'scenarios/frozen-debian-store.yaml');
const BUNDLE = join(ROOT, 'scenarios/data/debian12-ca-certificates-20230311+deb12u1.crt');

/**
 * Each endpoint cohort's real root and its notAfter, from the research listing of the Debian package
 * (research/roots_expiring_2026_2040.csv), not from the bundle the run reads.
 */
const ENDPOINTS: Record<string, { root: string; notAfter: string }> = {
  'globalsign-r1': { root: 'GlobalSign Root CA', notAfter: '2028-01-28T12:00:00Z' },
  'comodo-aaa': { root: 'AAA Certificate Services', notAfter: '2028-12-31T23:59:59Z' },
  'digicert-g1': { root: 'DigiCert Global Root CA', notAfter: '2031-11-10T00:00:00Z' },
  'starfield-class2': { root: 'OU=Starfield Class 2 Certification Authority', notAfter: '2034-06-29T17:39:16Z' },
  'isrg-x1': { root: 'ISRG Root X1', notAfter: '2035-06-04T11:04:38Z' },
  'digicert-g2': { root: 'DigiCert Global Root G2', notAfter: '2038-01-15T12:00:00Z' },
  'amazon-ca1': { root: 'Amazon Root CA 1', notAfter: '2038-01-17T00:00:00Z' },
};

interface ConnectEvent {
  type: string;
  t: number;
  device: string;
  cohort: string;
  cause: string;
  path?: string[];
  failed?: string;
}

describe('frozen-debian-store: a device store frozen as Debian 12 roots, run monthly to 2041 with 16 devices', () => {
  let summary: RunSummary;
  let connects: ConnectEvent[];
  const ofCohort = (cohort: string) => connects.filter((e) => e.cohort === cohort);

  beforeAll(() => {
    const out = join(mkdtempSync(join(tmpdir(), 'certfleet-frozen-')), 'run');
    const run = runCli(['run', SCENARIO, '--devices', '16', '--out', out, '--quiet'], { timeoutMs: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    connects = readFileSync(join(out, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ConnectEvent)
      .filter((e) => e.type === 'device.connect');
  }, 120_000);

  it('runs the whole timeline with two devices per endpoint', () => {
    expect(summary.complete).toBe(true);
    expect(Object.values(summary.cohorts).map((c) => c.devices)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it.each(Object.entries(ENDPOINTS))(
    '%s connects through its stand-in until the real root expires, then fails with expired_root within a month',
    (cohort, { root, notAfter }) => {
      const expiry = Date.parse(notAfter);
      const events = ofCohort(cohort);
      const failures = events.filter((e) => e.cause !== 'ok');
      const firstFailure = Math.min(...failures.map((e) => e.t));
      // Every connect before the root's notAfter succeeds, anchored at the stand-in; none after it does.
      // The broker served this endpoint's own certificate (chosen by SNI): the leaf names the host the cohort dials.
      expect(events.every((e) => e.path?.[0] === `${cohort}.example`)).toBe(true);
      expect(events.filter((e) => e.t <= expiry).every((e) => e.cause === 'ok' && e.path?.at(-1)?.includes(root))).toBe(true);
      expect(events.filter((e) => e.t > expiry).every((e) => e.cause === 'expired_root' && e.failed?.includes(root))).toBe(true);
      // Devices reboot every 30 days, so the first one to reconnect after the expiry discovers it within 30 days.
      expect(firstFailure).toBeGreaterThan(expiry);
      expect(firstFailure - expiry).toBeLessThanOrEqual(30 * DAY);
      expect(Object.keys(summary.failures.byCohort[cohort] ?? {})).toEqual(['device:expired_root']);
      expect(Date.parse(summary.failures.byCohort[cohort]?.['device:expired_root']?.first ?? '')).toBe(firstFailure);
    },
  );

  it('never accepts a path that ends at one of the four roots the package ships already expired', () => {
    const expired = loadPemBundle(BUNDLE)
      .certificates.filter((c) => c.notAfter < Date.parse('2026-01-01T00:00:00Z'))
      .map((c) => c.label);
    // E-Tugra, Hongkong Post Root CA 1, Security Communication RootCA1, Baltimore CyberTrust Root (domain research 6).
    expect(expired).toHaveLength(4);
    expect(expired).toContain('Baltimore CyberTrust Root');
    const accepted = connects.filter((e) => e.cause === 'ok').flatMap((e) => e.path ?? []);
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.filter((label) => expired.includes(label))).toEqual([]);
  });

  it('fails the control endpoint, chained to the expired Baltimore root, from its first connect', () => {
    const events = ofCohort('baltimore');
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.cause === 'expired_root' && e.failed === 'Baltimore CyberTrust Root')).toBe(true);
    expect(summary.failures.byCohort.baltimore?.['device:expired_root']?.first).toBe('2026-01-01T00:00:00.000Z');
  });
});
