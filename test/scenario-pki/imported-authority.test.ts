/**
 * Authorities imported from files a team made with openssl (pki.authorities[].files): a run on the embedded broker
 * admits the devices they issue, and `openssl verify -CAfile <that CA>` accepts every certificate certfleet issues
 * under them (the factory's, the CA's answer to a CSR, the broker's server certificate).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFleet } from '../../sim/plan/fleet-plan.js';
import type { RunSummary } from '../../sim/results/run-summary.js';
import { authorityFromPki, buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { manufactureDevices } from '../../sim/scenario-pki/device-factory.js';
import { pemToDer, readCertificate } from '../../sim/pki/index.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../sim/scenario/schema.js';
import { runCli } from '../support/cli.js';
import { IMPORTED_CA_SCENARIO, writeImportedCaScenario } from '../support/imported-ca-scenario.js';
import { opensslVerify } from '../support/openssl-ca.js';
import { opensslCsr } from '../support/openssl-csr.js';
import { HOUR, MINUTE } from '../support/time.js';

describe('a scenario importing its authorities from openssl-made files', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-imported-ca-'));
  const team = join(work, 'team');
  let file: string;
  let scenario: Scenario;
  let pki: ScenarioPki;
  const teamPem = (name: string) => readFileSync(join(team, `${name}.crt`), 'utf8');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(() => {
    file = writeImportedCaScenario(work);
    scenario = parseScenario(readFileSync(file, 'utf8'), file);
    pki = buildScenarioPki(scenario, scenario.seed);
  });

  it('runs on the embedded broker: every device is admitted and renews under the imported device CA', () => {
    const out = join(work, 'run');
    const result = runCli(['run', file, '--out', out, '--quiet', '--no-report', '--workers', '1'], { timeoutMs: 120_000 });
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.failures.byCause).toEqual({});
    expect(summary.rotations.failed).toBe(0);
    expect(summary.rotations.succeeded).toBeGreaterThanOrEqual(3);
    expect(summary.unrecovered.devices).toBe(0);
    // A replay reads the same files and the run's start, so the imported CA issues what it issued in the run.
    const repro = runCli(['repro', out, '--device', 'device-00000']);
    expect(repro.status, repro.stderr).toBe(0);
    expect(repro.stdout).toContain('the replay matches the run');
  });

  it('keeps the imported certificates as they are, and the keys of those given one', () => {
    expect(pki.certificates['team-server-ca']?.replace(/\s/g, '')).toBe(teamPem('server-ca').replace(/\s/g, ''));
    expect(pki.certificates['team-device-ca']?.replace(/\s/g, '')).toBe(teamPem('device-ca').replace(/\s/g, ''));
    expect(pki.certificates['other-broker-ca']?.replace(/\s/g, '')).toBe(teamPem('other-broker-ca').replace(/\s/g, ''));
    expect(Object.keys(pki.authorityKeys).sort()).toEqual(['team-device-ca', 'team-server-ca']);
  });

  it('issues factory device certificates that openssl verify accepts for client authentication with the device CA', () => {
    const credentials = manufactureDevices(planFleet(scenario, { seed: scenario.seed }), pki);
    const devices = Object.values(credentials);
    expect(devices).toHaveLength(3);
    for (const device of devices) {
      const verified = opensslVerify(teamPem('device-ca'), device.certificatePem, { purpose: 'sslclient' });
      expect(verified.output).toMatch(/: OK$/);
      expect(verified.status).toBe(0);
      // And under another CA it does not verify: the check above could fail.
      expect(opensslVerify(teamPem('server-ca'), device.certificatePem).status).not.toBe(0);
    }
  });

  it('signs a CSR openssl made with the imported key, and openssl verify accepts the certificate', () => {
    const csr = opensslCsr({ subject: '/CN=device-00001' });
    const now = Date.now();
    const signed = authorityFromPki(pki, 'team-device-ca', scenario.seed, 'test-rotation').signCsr(csr.der, {
      notBefore: now - MINUTE,
      notAfter: now + HOUR,
      profile: 'device',
      expectedCommonName: 'device-00001',
    });
    if (!signed.ok) throw new Error(signed.detail);
    const verified = opensslVerify(teamPem('device-ca'), signed.certificate.pem, { purpose: 'sslclient' });
    expect(verified.output).toMatch(/: OK$/);
    expect(verified.status).toBe(0);
  });

  it('issues the broker\'s server certificate from the imported server CA, which openssl verify accepts for a server', () => {
    const server = pki.certificates.broker ?? '';
    const verified = opensslVerify(teamPem('server-ca'), server, { purpose: 'sslserver' });
    expect(verified.output).toMatch(/: OK$/);
    expect(verified.status).toBe(0);
    expect(opensslVerify(teamPem('device-ca'), server).status).not.toBe(0);
  });

  it('cross-signs an authority imported without its key: same subject and key, issued by a generated root', () => {
    const text = IMPORTED_CA_SCENARIO.replace(
      '  serverCertificates:\n',
      [
        '    - name: bridge-root',
        '      subject: { CN: Bridge Root }',
        '      notBefore: 2025-01-01T00:00:00Z',
        '      notAfter: 2045-01-01T00:00:00Z',
        '    - name: bridge-cross',
        '      crossSigns: other-broker-ca',
        '      issuer: bridge-root',
        '      notBefore: 2025-01-01T00:00:00Z',
        '      notAfter: 2045-01-01T00:00:00Z',
        '  serverCertificates:\n',
      ].join('\n'),
    );
    const crossed = buildScenarioPki(parseScenario(text, file), 3);
    const cross = readCertificate(pemToDer(crossed.certificates['bridge-cross'] ?? '')[0] ?? Buffer.alloc(0));
    const imported = readCertificate(pemToDer(teamPem('other-broker-ca'))[0] ?? Buffer.alloc(0));
    expect(cross.subjectDer.equals(imported.subjectDer)).toBe(true);
    expect(cross.spkiDer.equals(imported.spkiDer)).toBe(true);
    const verified = opensslVerify(crossed.certificates['bridge-root'] ?? '', crossed.certificates['bridge-cross'] ?? '');
    expect(verified.output).toMatch(/: OK$/);
    expect(crossed.authorityKeys['other-broker-ca']).toBeUndefined();
  });

  it('gives the certificates an imported CA issues serials unique to the run\'s start, the same again for the same start', () => {
    const serialsAt = (now: number) => {
      const at = parseScenario(readFileSync(file, 'utf8'), file, { now });
      const credentials = manufactureDevices(planFleet(at, { seed: at.seed }), buildScenarioPki(at, at.seed));
      return Object.values(credentials).map((c) => readCertificate(pemToDer(c.certificatePem)[0] ?? Buffer.alloc(0)).serial.toString('hex'));
    };
    const first = serialsAt(Date.parse('2026-06-01T00:00:00Z'));
    expect(serialsAt(Date.parse('2026-06-01T00:00:00Z'))).toEqual(first);
    const later = serialsAt(Date.parse('2026-06-01T00:05:00Z'));
    expect(later.filter((serial) => first.includes(serial))).toEqual([]);
  });
});
