import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EKU_OIDS, EXTENSION_OIDS, generateKeyPair, readCertificate, type CertificateAuthority, type SignCsrResult } from '../../sim/pki/index.js';
import { deviceProfileText, opensslCertificateText, opensslCsr, type OpensslKey } from '../support/openssl-csr.js';
import { attime, DAY, hierarchy, openssl, scratch, T0, type Scratch } from './helpers.js';

let tmp: Scratch;
beforeEach(() => {
  tmp = scratch();
});
afterEach(() => {
  tmp.cleanup();
});

const DEVICE = 'dev-a';
const sign = (ca: CertificateAuthority, der: Buffer, expectedCommonName: string | undefined = DEVICE): SignCsrResult =>
  ca.signCsr(der, { notBefore: T0, notAfter: T0 + 30 * DAY, profile: 'device', expectedCommonName });

/** The certificate a result holds; fails the test with the CA's reason otherwise. */
function issued(result: SignCsrResult): { der: Buffer; pem: string } {
  if (!result.ok) throw new Error(`the CA refused: ${result.reason} (${result.detail})`);
  return result.certificate;
}

/** The device profile's extensions, and nothing else: what every certificate issued from a device CSR carries. */
const DEVICE_PROFILE_OIDS = [
  EXTENSION_OIDS.basicConstraints,
  EXTENSION_OIDS.keyUsage,
  EXTENSION_OIDS.extKeyUsage,
  EXTENSION_OIDS.subjectKeyIdentifier,
  EXTENSION_OIDS.authorityKeyIdentifier,
].sort();

describe('the CA signs a CSR only for the one identity it names', () => {
  it.each(['/CN=dev-b/CN=dev-a', '/CN=dev-a/CN=dev-b', '/CN=dev-a+CN=dev-b', '/CN=dev-a/O=x/CN=dev-a'])(
    'refuses a CSR with the subject %s as ambiguous_identity',
    (subject) => {
      const { intermediate } = hierarchy();
      const { der } = opensslCsr({ subject });
      for (const expected of [DEVICE, undefined]) {
        const result = sign(intermediate, der, expected);
        expect(result).toMatchObject({ ok: false, reason: 'ambiguous_identity' });
        if (!result.ok) expect(result.detail).toMatch(/2 CNs/);
      }
    },
  );

  it('refuses a CSR with no CN, or another CN, as subject_mismatch', () => {
    const { intermediate } = hierarchy();
    expect(sign(intermediate, opensslCsr({ subject: '/O=Acme/OU=fleet' }).der)).toMatchObject({ ok: false, reason: 'subject_mismatch' });
    expect(sign(intermediate, opensslCsr({ subject: '/CN=dev-b' }).der)).toMatchObject({ ok: false, reason: 'subject_mismatch' });
  });

  it('builds the subject itself: a requested C, O and OU are not copied', () => {
    const { intermediate } = hierarchy();
    const certificate = issued(sign(intermediate, opensslCsr({ subject: '/C=US/O=Evil Corp/OU=admins/CN=dev-a' }).der));
    expect(opensslCertificateText(certificate.pem, 'subjectAltName')).toBe('subject=CN=dev-a\n');
    expect(new X509Certificate(certificate.der).subject).toBe('CN=dev-a');
  });

  it('takes nothing from the extension request: SANs, CA rights and other key usages are stripped', () => {
    const { root, intermediate } = hierarchy();
    const { der } = opensslCsr({
      subject: '/CN=dev-a',
      addext: [
        'subjectAltName=DNS:dev-b,DNS:localhost,IP:127.0.0.1',
        'basicConstraints=critical,CA:TRUE,pathlen:3',
        'keyUsage=critical,digitalSignature,keyCertSign,cRLSign',
        'extendedKeyUsage=serverAuth,clientAuth,codeSigning',
        'nameConstraints=critical,permitted;DNS:example.com',
      ],
    });
    // The request does carry them: openssl reads them back from the CSR.
    const request = openssl(['req', '-inform', 'DER', '-in', tmp.write('req.der', der), '-noout', '-text']);
    expect(request.stdout).toMatch(/CA:TRUE[\s\S]*Certificate Sign[\s\S]*TLS Web Server Authentication/);
    const certificate = issued(sign(intermediate, der));
    const text = opensslCertificateText(certificate.pem, 'basicConstraints,keyUsage,extendedKeyUsage,subjectAltName,nameConstraints');
    expect(text).toBe(deviceProfileText('dev-a'));
    expect([...readCertificate(certificate.der).extensions.keys()].sort()).toEqual(DEVICE_PROFILE_OIDS);
    const node = new X509Certificate(certificate.der);
    expect(node.ca).toBe(false);
    expect(node.keyUsage).toEqual([EKU_OIDS.clientAuth]);
    expect(node.subjectAltName).toBeUndefined();
    // It verifies as a client certificate, and openssl refuses it as a CA or a TLS server.
    const verify = (purpose: string, leaf: string) =>
      openssl(['verify', '-attime', attime(T0 + DAY), '-purpose', purpose, '-CAfile', tmp.write('root.pem', root.certificatePem), '-untrusted', tmp.write('inter.pem', intermediate.certificatePem), leaf]);
    const leafPath = tmp.write('leaf.pem', certificate.pem);
    expect(verify('sslclient', leafPath).status).toBe(0);
    expect(verify('sslserver', leafPath).status).not.toBe(0);
  });
});

describe('the CA refuses weak keys in CSRs', () => {
  it.each([
    ['rsa-1024', /RSA key of 1024 bits, expected at least 2048/],
    ['rsa-2048-e3', /RSA public exponent of 3/],
    ['ec-p224', /curve secp224r1, expected P-256 or P-384/],
    ['ec-secp256k1', /curve secp256k1, expected P-256 or P-384/],
  ] as const)('refuses a CSR carrying a %s key as weak_key', (key: OpensslKey, detail) => {
    const { intermediate } = hierarchy();
    const result = sign(intermediate, opensslCsr({ subject: '/CN=dev-a', key }).der);
    expect(result).toMatchObject({ ok: false, reason: 'weak_key' });
    if (!result.ok) expect(result.detail).toMatch(detail);
  });

  it('refuses a CSR carrying an Ed25519 key as unsupported_key', () => {
    const { intermediate } = hierarchy();
    expect(sign(intermediate, opensslCsr({ subject: '/CN=dev-a', key: 'ed25519' }).der)).toMatchObject({ ok: false, reason: 'unsupported_key' });
  });

  it('signs CSRs carrying P-256 and P-384 keys, and openssl verifies the certificates', () => {
    const { root, intermediate } = hierarchy();
    for (const key of ['ec-p256', 'ec-p384'] as const) {
      const certificate = issued(sign(intermediate, opensslCsr({ subject: '/CN=dev-a', key }).der));
      const verified = openssl([
        'verify', '-attime', attime(T0 + DAY), '-purpose', 'sslclient',
        '-CAfile', tmp.write('root.pem', root.certificatePem),
        '-untrusted', tmp.write('inter.pem', intermediate.certificatePem),
        tmp.write(`${key}.pem`, certificate.pem),
      ]);
      expect(verified.stdout + verified.stderr).toContain(': OK');
      expect(verified.status).toBe(0);
    }
  });

  it('still issues the deliberately weak RSA-1024 factory certificates the key-quality audit looks for', () => {
    const { intermediate } = hierarchy();
    const weak = generateKeyPair('rsa-1024');
    const certificate = intermediate.issue({ subject: { CN: 'dev-weak' }, publicKey: weak.publicKey, profile: 'device', notBefore: T0, notAfter: T0 + DAY });
    expect(new X509Certificate(certificate.der).publicKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
  });
});
