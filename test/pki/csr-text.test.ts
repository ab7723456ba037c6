import { describe, expect, it } from 'vitest';
import { csrFromPem, csrFromText } from '../../sim/pki/csr-text.js';
import { createCsr, generateKeyPair, toPem } from '../../sim/pki/index.js';
import { runProgram } from '../support/run-program.js';

const der = createCsr({ subject: { CN: 'device-00000' }, keyPair: generateKeyPair('ec-p256') });

describe('a CSR given as text', () => {
  it('is read from PEM as openssl req writes it, and from base64 DER, to the same DER', async () => {
    const made = await runProgram('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=device-00000']);
    expect(made.stdout).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    // openssl's own DER of it, in base64.
    const base64 = await runProgram('sh', ['-c', 'openssl req -outform DER | base64 -w0'], { input: made.stdout });
    expect(base64.status).toBe(0);
    const fromPem = csrFromText(made.stdout);
    expect(fromPem?.toString('base64')).toBe(base64.stdout);
    expect(csrFromText(base64.stdout)).toEqual(fromPem);
    expect(csrFromText(der.toString('base64'))).toEqual(der);
  });

  it('reads the legacy NEW CERTIFICATE REQUEST label, and nothing from PEM that holds no single CSR', () => {
    expect(csrFromPem(toPem(der, 'NEW CERTIFICATE REQUEST'))).toEqual(der);
    expect(csrFromText(toPem(der, 'CERTIFICATE'))).toBeUndefined();
    expect(csrFromText(toPem(der, 'CERTIFICATE REQUEST') + toPem(der, 'CERTIFICATE REQUEST'))).toBeUndefined();
    expect(csrFromText('-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n')).toBeUndefined();
  });

  it('is nothing when it is neither PEM nor base64', () => {
    expect(csrFromText('not base64!')).toBeUndefined();
    expect(csrFromText('')).toBeUndefined();
  });
});
