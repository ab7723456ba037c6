import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CertificateAuthority, generateKeyPair, readCertificate, type KeyAlgorithm } from '../../sim/pki/index.js';
import { attime, DAY, hierarchy, openssl, scratch, T0, testKeyPair, textKeyIds, x509, type Scratch } from './helpers.js';

let tmp: Scratch;
beforeEach(() => {
  tmp = scratch();
});
afterEach(() => {
  tmp.cleanup();
});

function issueLeaves(algorithm: KeyAlgorithm) {
  const h = hierarchy(algorithm, algorithm);
  const deviceKeys = testKeyPair(algorithm);
  const serverKeys = testKeyPair(algorithm);
  const device = h.intermediate.issue({
    subject: { O: 'certfleet tests', CN: 'device-0001' },
    publicKey: deviceKeys.publicKey,
    profile: 'device',
    notBefore: T0,
    notAfter: T0 + 30 * DAY,
  });
  const server = h.intermediate.issue({
    subject: { CN: 'localhost' },
    publicKey: serverKeys.publicKey,
    profile: 'server',
    notBefore: T0,
    notAfter: T0 + 90 * DAY,
    subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
  });
  return { ...h, device, server };
}

describe.each(['ec-p256', 'rsa-2048'] as const)('a %s hierarchy', (algorithm) => {
  it('verifies device and server leaves with openssl through the intermediate to the root', () => {
    const chain = issueLeaves(algorithm);
    const root = tmp.write('root.pem', chain.root.certificatePem);
    const inter = tmp.write('inter.pem', chain.intermediate.certificatePem);
    const device = tmp.write('device.pem', chain.device.pem);
    const server = tmp.write('server.pem', chain.server.pem);
    const at = attime(T0 + 10 * DAY);
    const result = openssl(['verify', '-attime', at, '-CAfile', root, '-untrusted', inter, device, server]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`${device}: OK`);
    expect(result.stdout).toContain(`${server}: OK`);
    const purposes = openssl(['verify', '-attime', at, '-purpose', 'sslserver', '-CAfile', root, '-untrusted', inter, server]);
    expect(purposes.status).toBe(0);
    const client = openssl(['verify', '-attime', at, '-purpose', 'sslclient', '-CAfile', root, '-untrusted', inter, device]);
    expect(client.status).toBe(0);
  });

  it('fails openssl verification outside the leaf validity', () => {
    const chain = issueLeaves(algorithm);
    const root = tmp.write('root.pem', chain.root.certificatePem);
    const inter = tmp.write('inter.pem', chain.intermediate.certificatePem);
    const device = tmp.write('device.pem', chain.device.pem);
    const result = openssl(['verify', '-attime', attime(T0 + 31 * DAY), '-CAfile', root, '-untrusted', inter, device]);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('certificate has expired');
  });

  it('shows critical CA basic constraints and CA key usage on the root and the intermediate', () => {
    const chain = issueLeaves(algorithm);
    for (const [name, pem, pathLen] of [
      ['root', chain.root.certificatePem, 1],
      ['inter', chain.intermediate.certificatePem, 0],
    ] as const) {
      const text = openssl(['x509', '-noout', '-text', '-in', tmp.write(`${name}.pem`, pem)]).stdout;
      expect(text).toMatch(new RegExp(`X509v3 Basic Constraints: critical\\s+CA:TRUE, pathlen:${pathLen}`));
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
      expect(text).not.toContain('Extended Key Usage');
      expect(text).toContain(algorithm === 'ec-p256' ? 'Signature Algorithm: ecdsa-with-SHA256' : 'Signature Algorithm: sha256WithRSAEncryption');
    }
  });

  it('shows leaf key usage and the extended key usage of each profile', () => {
    const chain = issueLeaves(algorithm);
    const usage = algorithm === 'ec-p256' ? /X509v3 Key Usage: critical\s+Digital Signature\n/ : /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/;
    const device = openssl(['x509', '-noout', '-text', '-in', tmp.write('device.pem', chain.device.pem)]).stdout;
    expect(device).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(device).toMatch(usage);
    expect(device).toMatch(/X509v3 Extended Key Usage:\s*\n\s+TLS Web Client Authentication\n/);
    expect(device).not.toContain('Subject Alternative Name');
    const server = openssl(['x509', '-noout', '-text', '-in', tmp.write('server.pem', chain.server.pem)]).stdout;
    expect(server).toMatch(usage);
    expect(server).toMatch(/X509v3 Extended Key Usage:\s*\n\s+TLS Web Server Authentication\n/);
    expect(server).toMatch(/X509v3 Subject Alternative Name:\s*\n\s+DNS:localhost, IP Address:127.0.0.1\n/);
  });

  it('links every certificate to its issuer by SKI and AKI, and leaves the root without AKI', () => {
    const chain = issueLeaves(algorithm);
    const ids = (pem: string, name: string) => textKeyIds(openssl(['x509', '-noout', '-text', '-in', tmp.write(name, pem)]).stdout);
    const root = ids(chain.root.certificatePem, 'root.pem');
    const inter = ids(chain.intermediate.certificatePem, 'inter.pem');
    const device = ids(chain.device.pem, 'device.pem');
    expect(root.ski).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(root.aki).toBeUndefined();
    expect(inter.aki).toBe(root.ski);
    expect(device.aki).toBe(inter.ski);
    expect(chain.intermediate.subjectKeyId.toString('hex').toUpperCase().match(/../g)?.join(':')).toBe(inter.ski);
  });

  it('parses the same way with @peculiar/x509 and Node X509Certificate', async () => {
    const chain = issueLeaves(algorithm);
    const server = new x509.X509Certificate(chain.server.der);
    const inter = new x509.X509Certificate(chain.intermediate.certificateDer);
    expect(server.subject).toBe('CN=localhost');
    expect(server.issuer).toBe(`C=DE, O=certfleet tests, OU=devices, CN=${algorithm} Intermediate`);
    expect(server.serialNumber.toLowerCase()).toBe(chain.server.serialHex.replace(/^00/, ''));
    const bc = server.getExtension(x509.BasicConstraintsExtension);
    expect(bc?.critical).toBe(true);
    expect(bc?.ca).toBe(false);
    expect(server.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(server.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ]);
    expect(server.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(inter.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
    const ku = inter.getExtension(x509.KeyUsagesExtension);
    expect(ku?.critical).toBe(true);
    expect(ku?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(await server.verify({ publicKey: inter, signatureOnly: true })).toBe(true);

    const node = new X509Certificate(chain.server.der);
    expect(node.verify(new X509Certificate(chain.intermediate.certificateDer).publicKey)).toBe(true);
    expect(node.checkHost('localhost')).toBe('localhost');
    expect(node.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(new X509Certificate(chain.root.certificateDer).ca).toBe(true);
  });

  it('uses the exact subject bytes of the CA certificate as the issuer of its children', () => {
    const chain = issueLeaves(algorithm);
    const device = readCertificate(chain.device.der);
    expect(device.issuerDer.equals(chain.intermediate.subjectDer)).toBe(true);
    expect(readCertificate(chain.intermediate.certificateDer).subjectDer.equals(chain.intermediate.subjectDer)).toBe(true);
    expect(device.version).toBe(2);
  });
});

describe('signature algorithm choice', () => {
  it('signs with sha256WithRSAEncryption and NULL parameters when an RSA CA issues an EC leaf', () => {
    const h = hierarchy('rsa-2048', 'Mixed');
    const leafKeys = generateKeyPair('ec-p256');
    const leaf = h.intermediate.issue({ subject: { CN: 'device-ec' }, publicKey: leafKeys.publicKey, profile: 'device', notBefore: T0, notAfter: T0 + DAY });
    const fields = readCertificate(leaf.der);
    expect(fields.signatureAlgorithmOid).toBe('1.2.840.113549.1.1.11');
    // AlgorithmIdentifier SEQUENCE { OID, NULL } appears twice: inside the TBS and after it (RFC 5280 4.1.1.2).
    const alg = Buffer.from('300d06092a864886f70d01010b0500', 'hex');
    expect(leaf.der.indexOf(alg)).toBeGreaterThan(0);
    expect(leaf.der.lastIndexOf(alg)).toBeGreaterThan(leaf.der.indexOf(alg));
    const text = openssl(['x509', '-noout', '-text', '-in', tmp.write('leaf.pem', leaf.pem)]).stdout;
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    const result = openssl(['verify', '-attime', attime(T0 + 1000), '-CAfile', tmp.write('root.pem', h.root.certificatePem), '-untrusted', tmp.write('inter.pem', h.intermediate.certificatePem), tmp.write('leaf.pem', leaf.pem)]);
    expect(result.status).toBe(0);
  });

  it('writes ecdsa-with-SHA256 with absent parameters for an EC CA', () => {
    const h = hierarchy('ec-p256', 'EcAlg');
    expect(readCertificate(h.intermediate.certificateDer).signatureAlgorithmOid).toBe('1.2.840.10045.4.3.2');
    expect(h.intermediate.certificateDer.indexOf(Buffer.from('300a06082a8648ce3d040302', 'hex'))).toBeGreaterThan(0);
  });

  it('writes a subjectAltName longer than 127 octets that Node and openssl read back', () => {
    const { intermediate } = hierarchy();
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.example`;
    const leaf = intermediate.issue({
      subject: { CN: 'long-san' },
      publicKey: testKeyPair().publicKey,
      profile: 'server',
      notBefore: T0,
      notAfter: T0 + DAY,
      subjectAltNames: { dns: ['localhost', long], ip: ['127.0.0.1', '10.0.0.254'] },
    });
    expect(new X509Certificate(leaf.der).subjectAltName).toBe(`DNS:localhost, DNS:${long}, IP Address:127.0.0.1, IP Address:10.0.0.254`);
    expect(openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', tmp.write('leaf.pem', leaf.pem)]).stdout).toContain(`DNS:${long}`);
    expect(() => intermediate.issue({ subject: { CN: 'v6' }, publicKey: testKeyPair().publicKey, profile: 'server', notBefore: T0, notAfter: T0 + DAY, subjectAltNames: { ip: ['::1'] } })).toThrow(/IPv4/);
  });

  it('builds a CA from a certificate and key and reports its subject, SKI and PEM', () => {
    const keys = generateKeyPair();
    const root = CertificateAuthority.selfSigned({ subject: { CN: 'Solo Root' }, keyPair: keys, notBefore: T0, notAfter: T0 + DAY });
    const again = new CertificateAuthority({ certificateDer: root.certificateDer, privateKey: keys.privateKey });
    expect(again.subjectDer.equals(root.subjectDer)).toBe(true);
    expect(again.subjectKeyId.equals(root.subjectKeyId)).toBe(true);
    expect(again.certificatePem).toBe(root.certificatePem);
    expect(again.certificatePem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    expect(again.privateKey).toBe(keys.privateKey);
  });
});
