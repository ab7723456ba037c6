/**
 * Each way an imported authority (pki.authorities[].files) can be wrong is refused by `certfleet validate` and
 * `certfleet run` with exit 2 and one line naming the field and what was expected, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { IMPORTED_CA_SCENARIO, writeImportedCaScenario } from '../support/imported-ca-scenario.js';
import { opensslCa } from '../support/openssl-ca.js';

const DEVICE_CA = '      files: { certificateFile: team/device-ca.crt, keyFile: team/device-ca.key }\n';

describe('refusals of imported authorities', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-authority-files-'));
  let count = 0;
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(() => {
    writeImportedCaScenario(work);
    const team = join(work, 'team');
    opensslCa(team, 'not-ca', { subject: '/CN=Not A CA', addext: ['basicConstraints=critical,CA:FALSE'] });
    opensslCa(team, 'no-cert-sign', { subject: '/CN=No Cert Sign', addext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature'] });
    writeFileSync(join(team, 'two.crt'), `${readText(join(team, 'device-ca.crt'))}${readText(join(team, 'server-ca.crt'))}`);
    copyFileSync(join(team, 'device-ca.crt'), join(team, 'copy.crt'));
    const encrypted = spawnSync('openssl', ['pkey', '-in', join(team, 'device-ca.key'), '-aes256', '-passout', 'pass:secret', '-out', join(team, 'encrypted.key')]);
    if (encrypted.status !== 0) throw new Error(`openssl pkey failed: ${String(encrypted.stderr)}`);
  });

  /** Runs `certfleet <command>` on the scenario with `from` replaced by `to`: its exit status and problem lines. */
  function refusal(from: string, to: string, command: 'validate' | 'run' = 'validate'): { status: number | null; lines: string[]; stderr: string } {
    expect(IMPORTED_CA_SCENARIO).toContain(from);
    const file = join(work, `case-${(count += 1)}.yaml`);
    writeFileSync(file, IMPORTED_CA_SCENARIO.replace(from, to));
    const args = command === 'run' ? ['run', file, '--out', join(work, `run-${count}`), '--quiet', '--no-report'] : ['validate', file];
    const result = runCli(args, { timeoutMs: 60_000 });
    const lines = result.stderr.split('\n').filter((line) => /^\s+line \d+/.test(line));
    return { status: result.status, lines, stderr: result.stderr };
  }

  it('a certificate file that does not exist is refused with its path', () => {
    const { status, lines, stderr } = refusal(DEVICE_CA, '      files: { certificateFile: team/missing.crt, keyFile: team/device-ca.key }\n', 'run');
    expect(status, stderr).toBe(2);
    expect(lines).toEqual([
      expect.stringMatching(/^ {2}line 14, column \d+: pki\.authorities\[1\]\.files\.certificateFile: expected a PEM CA certificate: \/.*\/team\/missing\.crt: no such file$/),
    ]);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a certificate that is not a CA is refused', () => {
    const { status, lines } = refusal(DEVICE_CA, '      files: { certificateFile: team/not-ca.crt, keyFile: team/not-ca.key }\n');
    expect(status).toBe(2);
    expect(lines).toEqual([
      expect.stringMatching(/pki\.authorities\[1\]\.files\.certificateFile: expected a PEM CA certificate: .*not-ca\.crt: not a CA certificate \(its basicConstraints does not say cA TRUE, RFC 5280 4\.2\.1\.9\)$/),
    ]);
  });

  it('a key that is not the certificate\'s is refused', () => {
    const { status, lines } = refusal(DEVICE_CA, '      files: { certificateFile: team/device-ca.crt, keyFile: team/server-ca.key }\n');
    expect(status).toBe(2);
    expect(lines).toEqual([
      expect.stringMatching(/pki\.authorities\[1\]\.files\.keyFile: expected the private key of the certificate in .*device-ca\.crt: .*server-ca\.key holds another key$/),
    ]);
  });

  it('an authority imported without its key is refused as the issuer of device certificates', () => {
    const { status, lines } = refusal('    issuer: team-device-ca\n', '    issuer: other-broker-ca\n');
    expect(status).toBe(2);
    expect(lines).toEqual([
      expect.stringMatching(
        /pki\.deviceCertificates\.issuer: expected an authority with a private key, got "other-broker-ca", imported without files\.keyFile \(it can only be a trust anchor\)$/,
      ),
    ]);
  });

  it('an authority imported without its key is refused as the issuer of a server certificate', () => {
    const { status, lines } = refusal('      issuer: team-server-ca\n', '      issuer: other-broker-ca\n');
    expect(status).toBe(2);
    expect(lines).toEqual([expect.stringMatching(/pki\.serverCertificates\[0\]\.issuer: expected an authority with a private key, got "other-broker-ca"/)]);
  });

  it('a subject beside files is refused: the certificate gives it', () => {
    const { status, lines } = refusal(DEVICE_CA, `${DEVICE_CA}      subject: { CN: Team Device CA }\n`);
    expect(status).toBe(2);
    expect(lines).toEqual([
      expect.stringMatching(
        /pki\.authorities\[1\]\.subject: expected no subject beside files: an imported authority's subject, issuer, validity, path length and key come from its certificate file$/,
      ),
    ]);
  });

  it('validity, issuer and key beside files are refused, one line each', () => {
    const extra = '      notAfter: 2040-01-01T00:00:00Z\n      issuer: team-server-ca\n      key: rsa-2048\n';
    const { status, lines } = refusal(DEVICE_CA, `${DEVICE_CA}${extra}`);
    expect(status).toBe(2);
    expect(lines.map((line) => line.replace(/^.*: (pki\.[^:]+):.*$/, '$1'))).toEqual([
      'pki.authorities[1].notAfter',
      'pki.authorities[1].issuer',
      'pki.authorities[1].key',
    ]);
  });

  it('a file of two certificates is refused: each authority is imported on its own', () => {
    const { status, lines } = refusal(DEVICE_CA, '      files: { certificateFile: team/two.crt, keyFile: team/device-ca.key }\n');
    expect(status).toBe(2);
    expect(lines).toEqual([expect.stringMatching(/files\.certificateFile: expected a PEM CA certificate: .*two\.crt: 2 certificates in it, expected one/)]);
  });

  it('a CA whose keyUsage does not allow keyCertSign is refused when it has a key to issue with', () => {
    const { status, lines } = refusal(DEVICE_CA, '      files: { certificateFile: team/no-cert-sign.crt, keyFile: team/no-cert-sign.key }\n');
    expect(status).toBe(2);
    expect(lines).toEqual([expect.stringMatching(/pki\.authorities\[1\]\.files\.certificateFile: expected a CA certificate whose keyUsage allows keyCertSign/)]);
  });

  it('a key file holding a certificate is refused as not a private key', () => {
    const { status, lines } = refusal(DEVICE_CA, '      files: { certificateFile: team/device-ca.crt, keyFile: team/copy.crt }\n');
    expect(status).toBe(2);
    expect(lines).toEqual([expect.stringMatching(/files\.keyFile: expected an unencrypted PEM private key: .*copy\.crt: no private key in it/)]);
  });

  it('an encrypted key is refused with how to decrypt it', () => {
    const { status, lines } = refusal(DEVICE_CA, '      files: { certificateFile: team/device-ca.crt, keyFile: team/encrypted.key }\n');
    expect(status).toBe(2);
    expect(lines).toEqual([expect.stringMatching(/files\.keyFile: expected an unencrypted PEM private key: .*encrypted\.key: the key is encrypted \(decrypt it, e\.g\. openssl pkey/)]);
  });

  it('revoking an imported authority is refused: its issuer is not part of the scenario', () => {
    const { status, lines } = refusal('thresholds:\n', 'events:\n  - { type: revoke, at: 2099-01-01T00:00:00Z, authority: team-device-ca }\nthresholds:\n');
    expect(status).toBe(2);
    expect(lines.filter((line) => line.includes('events[0].authority'))).toEqual([
      expect.stringMatching(/events\[0\]\.authority: expected an authority issued in the scenario: an imported authority's issuer is not part of it$/),
    ]);
  });
});

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
