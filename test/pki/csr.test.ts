import { sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCsr, encodeName, generateKeyPair, parseCsr, readCertificate, spkiDer, toPem } from '../../sim/pki/index.js';
import { readChildren, readSingle } from '../../sim/pki/der-reader.js';
import { bitString, sequence } from '../../sim/pki/der-writer.js';
import { attime, DAY, hierarchy, openssl, scratch, T0, testKeyPair, x509, type Scratch } from './helpers.js';

let tmp: Scratch;
beforeEach(() => {
  tmp = scratch();
});
afterEach(() => {
  tmp.cleanup();
});

/** Flips one character of the CN inside the signed CertificationRequestInfo. */
function tamper(csr: Buffer, cn: string): Buffer {
  const copy = Buffer.from(csr);
  const at = copy.indexOf(Buffer.from(cn, 'utf8'));
  expect(at).toBeGreaterThan(0);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

describe('certificate signing requests', () => {
  it.each(['ec-p256', 'rsa-2048'] as const)('creates a %s CSR that openssl req -verify accepts', (algorithm) => {
    const keyPair = testKeyPair(algorithm);
    const csr = createCsr({ subject: { O: 'certfleet tests', CN: 'device-0042' }, keyPair });
    const path = tmp.write('csr.pem', toPem(csr, 'CERTIFICATE REQUEST'));
    const result = openssl(['req', '-in', path, '-verify', '-noout', '-subject']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('Certificate request self-signature verify OK');
    expect(result.stdout).toContain('subject=O = certfleet tests, CN = device-0042');
    const parsed = new x509.Pkcs10CertificateRequest(csr);
    expect(parsed.subject).toBe('O=certfleet tests, CN=device-0042');
  });

  it('parses its own CSR back with the subject, CN and key, and a valid signature', () => {
    const keyPair = generateKeyPair();
    const csr = createCsr({ subject: { CN: 'device-7' }, keyPair });
    const parsed = parseCsr(csr);
    expect(parsed.signatureValid).toBe(true);
    expect(parsed.commonName).toBe('device-7');
    expect(parsed.publicKey.equals(keyPair.publicKey)).toBe(true);
    expect(spkiDer(parsed.publicKey).equals(spkiDer(keyPair.publicKey))).toBe(true);
  });

  it('parses a CSR made by openssl req', () => {
    const key = tmp.write('key.pem', openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).stdout);
    const made = openssl(['req', '-new', '-key', key, '-subj', '/C=US/O=Acme/CN=sensor-9', '-outform', 'DER', '-out', join(tmp.dir, 'req.der')]);
    expect(made.status).toBe(0);
    const parsed = parseCsr(readFileSync(join(tmp.dir, 'req.der')));
    expect(parsed.signatureValid).toBe(true);
    expect(parsed.commonName).toBe('sensor-9');
  });

  it('issues a certificate with the CSR key and a subject of its CN alone, which openssl verifies', () => {
    const { root, intermediate } = hierarchy();
    const keyPair = generateKeyPair();
    const csr = createCsr({ subject: { O: 'certfleet tests', CN: 'device-0042' }, keyPair });
    const result = intermediate.signCsr(csr, { notBefore: T0, notAfter: T0 + 30 * DAY, profile: 'device', expectedCommonName: 'device-0042' });
    if (!result.ok) throw new Error(`rejected: ${result.reason}`);
    const cert = new X509Certificate(result.certificate.der);
    expect(cert.publicKey.equals(keyPair.publicKey)).toBe(true);
    // The CA builds the subject itself: the requested O is not copied.
    expect(cert.subject).toBe('CN=device-0042');
    expect(readCertificate(result.certificate.der).subjectDer.equals(encodeName({ CN: 'device-0042' }))).toBe(true);
    const verified = openssl([
      'verify', '-attime', attime(T0 + DAY), '-purpose', 'sslclient',
      '-CAfile', tmp.write('root.pem', root.certificatePem),
      '-untrusted', tmp.write('inter.pem', intermediate.certificatePem),
      tmp.write('leaf.pem', result.certificate.pem),
    ]);
    expect(verified.status).toBe(0);
  });

  it('rejects a CSR with a tampered byte as bad_csr_signature', () => {
    const { intermediate } = hierarchy();
    const csr = tamper(createCsr({ subject: { CN: 'device-0042' }, keyPair: generateKeyPair() }), 'device-0042');
    expect(parseCsr(csr).signatureValid).toBe(false);
    // OpenSSL 3.0 `req -verify` exits 0 on a bad signature; the verdict is on stderr.
    expect(openssl(['req', '-inform', 'DER', '-in', tmp.write('bad.der', csr), '-verify', '-noout']).stderr).toContain('verify failure');
    const result = intermediate.signCsr(csr, { notBefore: T0, notAfter: T0 + DAY, profile: 'device' });
    expect(result).toMatchObject({ ok: false, reason: 'bad_csr_signature' });
  });

  it('rejects a CSR signed by a key other than the one it carries as bad_csr_signature', () => {
    const { intermediate } = hierarchy();
    const csr = createCsr({ subject: { CN: 'device-1' }, keyPair: generateKeyPair() });
    const [info, algorithm] = readChildren(readSingle(csr));
    const forged = sequence(info!.raw, algorithm!.raw, bitString(sign('sha256', info!.raw, generateKeyPair().privateKey)));
    expect(intermediate.signCsr(forged, { notBefore: T0, notAfter: T0 + DAY, profile: 'device' })).toMatchObject({ ok: false, reason: 'bad_csr_signature' });
  });

  it('rejects a CSR whose CN differs from the expected device as subject_mismatch', () => {
    const { intermediate } = hierarchy();
    const csr = createCsr({ subject: { CN: 'device-0042' }, keyPair: generateKeyPair() });
    const result = intermediate.signCsr(csr, { notBefore: T0, notAfter: T0 + DAY, profile: 'device', expectedCommonName: 'device-0043' });
    expect(result).toMatchObject({ ok: false, reason: 'subject_mismatch' });
  });

  it('rejects truncated or garbage input as malformed_csr and parseCsr throws a clear error', () => {
    const { intermediate } = hierarchy();
    const csr = createCsr({ subject: { CN: 'device-0042' }, keyPair: generateKeyPair() });
    for (const bad of [csr.subarray(0, csr.length - 1), Buffer.from('not a csr'), Buffer.alloc(0), Buffer.concat([csr, Buffer.from([0])])]) {
      expect(intermediate.signCsr(bad, { notBefore: T0, notAfter: T0 + DAY, profile: 'device' })).toMatchObject({ ok: false, reason: 'malformed_csr' });
      expect(() => parseCsr(bad)).toThrow(/CSR|DER/);
    }
  });

  it('adds the requested subjectAltNames to a server certificate issued from a CSR', () => {
    const { intermediate } = hierarchy();
    const csr = createCsr({ subject: { CN: 'localhost' }, keyPair: generateKeyPair() });
    const result = intermediate.signCsr(csr, { notBefore: T0, notAfter: T0 + DAY, profile: 'server', subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] } });
    if (!result.ok) throw new Error(result.reason);
    const cert = new X509Certificate(result.certificate.der);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });
});
