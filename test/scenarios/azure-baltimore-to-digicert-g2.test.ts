import { beforeAll, describe, expect, it } from 'vitest';
import { connectsOf, firstFailures, firstOf, loadShipped, runShipped, type TransitionRun } from './trust-transition-run.js';
import { DAY, HOUR } from '../support/time.js';

const NAME = 'azure-baltimore-to-digicert-g2';
/** The hub's switch to the DigiCert Global Root G2 chain, inside the IoT Hub window (domain research 2.3). */
const SWITCH = Date.parse('2023-04-18T14:00:00Z');
/** Every device reboots once a week (5 minutes offline): each reconnects within this long after the switch. */
const WEEKLY_REBOOT = 7 * DAY + 5 * 60_000;

describe('azure-baltimore-to-digicert-g2: the file', () => {
  it('is a valid scenario that switches inside the IoT Hub window without a restart, and pins the old intermediate', () => {
    const { scenario } = loadShipped(NAME);
    expect(scenario.events).toEqual([{ type: 'server-certificate', at: SWITCH, use: 'hub-digicert-g2' }]);
    expect(SWITCH).toBeGreaterThanOrEqual(Date.parse('2023-02-15T00:00:00Z'));
    expect(SWITCH).toBeLessThanOrEqual(Date.parse('2023-10-15T00:00:00Z'));
    const mirrored = scenario.pki.authorities.filter((a) => a.mirrors).map((a) => a.mirrors?.subjectCN);
    expect(mirrored).toEqual(['Baltimore CyberTrust Root', 'DigiCert Global Root G2', 'Microsoft RSA Root Certificate Authority 2017']);
    expect(scenario.fleet.cohorts.find((c) => c.name === 'pinned-intermediate')?.trustStore.pins).toEqual(['microsoft-rsa-tls-ca-01']);
  });
});

describe('azure-baltimore-to-digicert-g2: 40 devices over six weeks around the switch', () => {
  let run: TransitionRun;
  const size = (cohort: string) => run.summary.cohorts[cohort]?.devices ?? 0;
  const samplesAfterSwitch = () => run.summary.availability.samples.filter((s) => Date.parse(s.t) > SWITCH);

  beforeAll(async () => {
    run = await runShipped(NAME, 40);
  }, 120_000);

  it('runs the whole timeline with 6, 25, 8 and 1 devices per cohort', () => {
    expect(run.summary.complete).toBe(true);
    expect(Object.values(run.summary.cohorts).map((c) => c.devices)).toEqual([6, 25, 8, 1]);
  });

  it('fails each Baltimore-only device with untrusted_root at its own first reconnect after the switch, within the week', () => {
    const cohort = run.summary.failures.byCohort['baltimore-only'] ?? {};
    expect(Object.keys(cohort)).toEqual(['device:untrusted_root']);
    expect(cohort['device:untrusted_root']?.devices).toBe(size('baltimore-only'));
    const connects = connectsOf(run, 'baltimore-only');
    expect(connects.filter((e) => e.t <= SWITCH).every((e) => e.cause === 'ok' && e.path?.at(-1) === 'Baltimore CyberTrust Root')).toBe(true);
    expect(connects.filter((e) => e.t > SWITCH).every((e) => e.cause === 'untrusted_root')).toBe(true);
    const discovered = [...firstFailures(run, 'baltimore-only').values()].sort((a, b) => a - b);
    expect(discovered).toHaveLength(size('baltimore-only'));
    expect(discovered.every((t) => t > SWITCH && t <= SWITCH + WEEKLY_REBOOT)).toBe(true);
    // No reconnect storm: the hub kept the sessions, so discovery trickles in over days.
    expect((discovered.at(-1) ?? 0) - (discovered[0] ?? 0)).toBeGreaterThan(2 * DAY);
    expect(discovered[0]).toBeGreaterThan(SWITCH + HOUR);
  });

  it('shows the Baltimore-only cohort disconnecting in steps, still fully connected right after the switch', () => {
    const shares = samplesAfterSwitch().map((s) => s.cohorts['baltimore-only'] ?? NaN);
    expect(shares[0]).toBe(1);
    for (let i = 1; i < shares.length; i += 1) expect(shares[i]).toBeLessThanOrEqual(shares[i - 1] ?? NaN);
    expect(new Set(shares).size).toBeGreaterThanOrEqual(4);
    const zeroFrom = samplesAfterSwitch().find((s) => s.cohorts['baltimore-only'] === 0);
    expect(Date.parse(zeroFrom?.t ?? '')).toBeLessThanOrEqual(SWITCH + WEEKLY_REBOOT + 6 * HOUR);
  });

  it('fails the device that pins the old intermediate with pin_mismatch at its first reconnect, although it trusts G2', () => {
    const cohort = run.summary.failures.byCohort['pinned-intermediate'] ?? {};
    expect(Object.keys(cohort)).toEqual(['device:pin_mismatch']);
    expect(cohort['device:pin_mismatch']?.devices).toBe(size('pinned-intermediate'));
    const first = firstOf(run, 'pinned-intermediate', 'device:pin_mismatch');
    expect(first).toBeGreaterThan(SWITCH);
    expect(first).toBeLessThanOrEqual(SWITCH + WEEKLY_REBOOT);
    const after = connectsOf(run, 'pinned-intermediate').filter((e) => e.t > SWITCH);
    expect(after.every((e) => e.cause === 'pin_mismatch' && e.path?.at(-1) === 'DigiCert Global Root G2')).toBe(true);
  });

  it('never fails the devices that carry DigiCert Global Root G2, with or without Microsoft RSA Root CA 2017', () => {
    for (const cohort of ['baltimore-g2', 'baltimore-g2-msrsa2017']) {
      expect(run.summary.failures.byCohort[cohort]).toEqual({});
      const after = connectsOf(run, cohort).filter((e) => e.t > SWITCH);
      expect(new Set(after.map((e) => e.device)).size).toBe(size(cohort));
      expect(after.every((e) => e.cause === 'ok' && e.path?.at(-1) === 'DigiCert Global Root G2')).toBe(true);
    }
  });

  it('ends with exactly the Baltimore-only and pinned devices unable to connect', () => {
    expect(run.summary.unrecovered.byCause).toEqual({
      'device:untrusted_root': size('baltimore-only'),
      'device:pin_mismatch': size('pinned-intermediate'),
    });
    const final = run.summary.availability.final?.cohorts;
    expect(final).toEqual({ 'baltimore-only': 0, 'baltimore-g2': 1, 'baltimore-g2-msrsa2017': 1, 'pinned-intermediate': 0 });
  });
});
