import { X509Certificate, createHash } from 'node:crypto';
import { describe, expect, test, vi } from 'vitest';
import { CertificateAuthority, generateKeyPair, toPem } from '../../sim/pki/index.js';
import { oid, sequence, set, utf8String } from '../../sim/pki/der-writer.js';
import { CertificatePool, KEY_USAGE } from '../../sim/verify/index.js';
import { T, crossSign, forger, intermediate, leaf, root } from './fixtures.js';

const R = root('Pool Root', '2020-01-01T00:00:00Z', '2060-01-01T00:00:00Z');
const I = intermediate(R, 'Pool CA', '2024-01-01T00:00:00Z', '2030-01-01T00:00:00Z', { pathLength: 0 });
const S = leaf(I, 'pool-server', '2026-01-01T00:00:00Z', '2027-01-01T12:34:56Z', 'server');

describe('CertificatePool.parse', () => {
  test('the same DER parses once, even from another buffer', () => {
    const pool = new CertificatePool();
    const a = pool.parse(S.der);
    const b = pool.parse(Buffer.from(S.der));
    expect(b).toBe(a);
    expect(pool.size).toBe(1);
  });

  test('the pool keeps its own copy of the DER', () => {
    const pool = new CertificatePool();
    const bytes = Buffer.from(S.der);
    const parsed = pool.parse(bytes);
    bytes.fill(0);
    expect(parsed.der.equals(S.der)).toBe(true);
  });

  test('dates come from validFrom/validTo at one-second resolution, GeneralizedTime years included', () => {
    expect(S.notBefore).toBe(T('2026-01-01T00:00:00Z'));
    expect(S.notAfter).toBe(T('2027-01-01T12:34:56Z'));
    expect(R.cert.notAfter).toBe(T('2060-01-01T00:00:00Z'));
  });

  test('CA flags, key usage, extended key usage and path length are read', () => {
    expect([R.cert.isCA, I.cert.isCA, S.isCA]).toEqual([true, true, false]);
    expect(I.cert.pathLength).toBe(0);
    expect(R.cert.pathLength).toBeUndefined();
    expect((I.cert.keyUsage ?? 0) & KEY_USAGE.keyCertSign).toBe(KEY_USAGE.keyCertSign);
    expect(S.keyUsage).toBe(KEY_USAGE.digitalSignature);
    expect(S.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(I.cert.extKeyUsage).toBeUndefined();
  });

  test('names, labels and self-signedness are read', () => {
    expect(S.label).toBe('pool-server');
    expect(S.subject).toContain('CN=pool-server');
    expect(S.issuer).toContain('CN=Pool CA');
    expect([R.cert.selfIssued, R.cert.selfSigned, I.cert.selfSigned, S.selfSigned]).toEqual([true, true, false, false]);
    expect(S.authorityKeyId).toBe(I.cert.subjectKeyId);
    expect(I.cert.authorityKeyId).toBe(R.cert.subjectKeyId);
  });

  test('the identity is the one CN the subject names, read as the CA reads a CSR', () => {
    expect(S.identity).toEqual({ kind: 'one', commonName: 'pool-server' });
    const CN = (value: string) => set(sequence(oid('2.5.4.3'), utf8String(value)));
    const keyPair = generateKeyPair();
    const twoCns = (first: string, second: string) =>
      new CertificatePool().parse(
        I.ca.issue({
          subject: sequence(CN(first), CN(second)),
          publicKey: keyPair.publicKey,
          profile: 'device',
          notBefore: T('2026-01-01T00:00:00Z'),
          notAfter: T('2027-01-01T00:00:00Z'),
        }).der,
      );
    for (const parsed of [twoCns('dev-b', 'dev-a'), twoCns('dev-a', 'dev-b')]) {
      expect(parsed.identity).toEqual({ kind: 'ambiguous', problem: expect.stringMatching(/^2 CNs/) as unknown });
      // No single CN stands for it in reports either: the label is the whole subject.
      expect(parsed.label).toMatch(/^CN=dev-[ab], CN=dev-[ab]$/);
    }
  });

  test('serialHex is the DER INTEGER content, as the PKI reports it, pad byte included', () => {
    const keyPair = generateKeyPair();
    const issued = I.ca.issue({
      subject: { CN: 'high-bit' },
      publicKey: keyPair.publicKey,
      profile: 'device',
      notBefore: T('2026-01-01T00:00:00Z'),
      notAfter: T('2027-01-01T00:00:00Z'),
      serial: Buffer.from([0x80, 0x01, 0x02]),
    });
    const parsed = new CertificatePool().parse(issued.der);
    expect(parsed.serialHex).toBe(issued.serialHex);
    expect(parsed.serialHex).toBe('00800102');
  });

  test('a cross-signed certificate shares its SPKI fingerprint with the original, not its certificate fingerprint', () => {
    const other = root('Other Root', '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
    const cross = crossSign(R, other, '2021-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
    expect(cross.cert.spkiFingerprint).toBe(R.cert.spkiFingerprint);
    expect(cross.cert.fingerprint).not.toBe(R.cert.fingerprint);
    expect(cross.cert.selfSigned).toBe(false);
  });

  test('the SPKI fingerprint is the SHA-256 of the exported SubjectPublicKeyInfo, for EC and RSA keys', () => {
    const rsa = root('RSA Root', '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z', generateKeyPair('rsa-2048'));
    for (const cert of [S, rsa.cert]) {
      const exported = cert.x509.publicKey.export({ type: 'spki', format: 'der' });
      expect(cert.spkiFingerprint).toBe(createHash('sha256').update(exported).digest('hex'));
    }
  });

  test('fromX509 and parsePem share the cache with parse', () => {
    const pool = new CertificatePool();
    const a = pool.fromX509(new X509Certificate(S.der));
    const [b, c] = pool.parsePem(toPem(S.der, 'CERTIFICATE') + toPem(I.cert.der, 'CERTIFICATE'));
    expect(b).toBe(a);
    expect(c?.label).toBe('Pool CA');
    expect(pool.parse(S.der)).toBe(a);
  });

  test('the least recently used certificate is dropped past maxEntries', () => {
    const pool = new CertificatePool({ maxEntries: 2 });
    const r = pool.parse(R.cert.der);
    pool.parse(I.cert.der);
    pool.parse(R.cert.der); // R is now the most recent
    pool.parse(S.der); // evicts I
    expect(pool.size).toBe(2);
    expect(pool.parse(R.cert.der)).toBe(r);
    expect(pool.parse(I.cert.der)).not.toBe(I.cert);
  });
});

describe('CertificatePool.issuedBy', () => {
  const pool = new CertificatePool();
  const root2 = pool.parse(R.cert.der);
  const inter = pool.parse(I.cert.der);
  const server = pool.parse(S.der);

  test('a certificate is issued by its issuer', () => {
    expect(pool.issuedBy(server, inter)).toBe('ok');
    expect(pool.issuedBy(inter, root2)).toBe('ok');
  });

  test('a certificate is not issued by a CA with another name', () => {
    expect(pool.issuedBy(server, root2)).toBe('name_mismatch');
    expect(pool.isIssuerCandidate(server, root2)).toBe(false);
  });

  test('a certificate signed by another key under the right name and AKI is bad_signature', () => {
    const forged = pool.parse(leaf(forger(I), 'forged', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z').der);
    expect(pool.isIssuerCandidate(forged, inter)).toBe(true);
    expect(pool.issuedBy(forged, inter)).toBe('bad_signature');
  });

  test('a signature with another key type than the issuer key is not a candidate issuer at all', () => {
    const rsaForger = new CertificateAuthority({ certificateDer: I.ca.certificateDer, privateKey: generateKeyPair('rsa-2048').privateKey });
    const forged = pool.parse(leaf({ ca: rsaForger, cert: I.cert, keyPair: I.keyPair }, 'rsa-forged', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z').der);
    expect(forged.signatureKeyType).toBe('rsa');
    expect(pool.issuedBy(forged, inter)).toBe('name_mismatch');
  });

  test('signatures are checked once per pair', () => {
    const fresh = new CertificatePool();
    const child = fresh.parse(S.der);
    const parent = fresh.parse(I.cert.der);
    const spy = vi.spyOn(child.x509, 'verify');
    expect(fresh.issuedBy(child, parent)).toBe('ok');
    expect(fresh.issuedBy(child, parent)).toBe('ok');
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
