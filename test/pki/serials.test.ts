import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CertificateAuthority, generateKeyPair, readCertificate } from '../../sim/pki/index.js';
import { DAY, hierarchy, T0 } from './helpers.js';

/** X.690 8.3.2: no redundant leading 0x00 (or 0xff) octet. */
function isMinimalPositive(content: Buffer): boolean {
  const [b0 = 0, b1 = 0] = content;
  return content.length >= 1 && content.length <= 20 && (b0 & 0x80) === 0 && !(content.length > 1 && b0 === 0 && (b1 & 0x80) === 0);
}

describe('serial numbers (RFC 5280 4.1.2.2)', () => {
  it('gives 1,000 issued certificates positive, unique, minimal serials of at most 20 octets', () => {
    const { intermediate } = hierarchy();
    const key = generateKeyPair().publicKey;
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const cert = intermediate.issue({ subject: { CN: `device-${i}` }, publicKey: key, profile: 'device', notBefore: T0, notAfter: T0 + DAY });
      const serial = readCertificate(cert.der).serial;
      expect(isMinimalPositive(serial)).toBe(true);
      expect(serial.toString('hex')).toBe(cert.serialHex);
      seen.add(cert.serialHex);
    }
    expect(seen.size).toBe(1000);
  });

  it('adds a 0x00 octet to a serial whose high bit is set and Node reads it as positive', () => {
    const { intermediate } = hierarchy();
    const serial = Buffer.from('80' + '11'.repeat(18), 'hex');
    const cert = intermediate.issue({ subject: { CN: 'high-bit' }, publicKey: generateKeyPair().publicKey, profile: 'device', notBefore: T0, notAfter: T0 + DAY, serial });
    expect(cert.serialHex).toBe('0080' + '11'.repeat(18));
    expect(isMinimalPositive(readCertificate(cert.der).serial)).toBe(true);
    expect(new X509Certificate(cert.der).serialNumber).toBe('80' + '11'.repeat(18));
  });

  it('strips leading zero octets from a given serial', () => {
    const { intermediate } = hierarchy();
    const cert = intermediate.issue({ subject: { CN: 'zeros' }, publicKey: generateKeyPair().publicKey, profile: 'device', notBefore: T0, notAfter: T0 + DAY, serial: Buffer.from([0, 0, 0x05]) });
    expect(cert.serialHex).toBe('05');
  });

  it('refuses a zero serial and one longer than 20 octets', () => {
    const { intermediate } = hierarchy();
    const issue = (serial: Buffer) => intermediate.issue({ subject: { CN: 'x' }, publicKey: generateKeyPair().publicKey, profile: 'device', notBefore: T0, notAfter: T0 + DAY, serial });
    expect(() => issue(Buffer.from([0]))).toThrow(/positive/);
    expect(() => issue(Buffer.alloc(21, 1))).toThrow(/20/);
    expect(() => issue(Buffer.from('ff' + '00'.repeat(19), 'hex'))).toThrow(/20/);
    expect(issue(Buffer.from('7f' + '00'.repeat(19), 'hex')).serialHex).toHaveLength(40);
  });

  it('takes serials from the CA serial source when the request has none', () => {
    let next = 1;
    const keys = generateKeyPair();
    const root = CertificateAuthority.selfSigned({ subject: { CN: 'Seeded Root' }, keyPair: keys, notBefore: T0, notAfter: T0 + DAY, serials: () => Buffer.from([next++]) });
    expect(readCertificate(root.certificateDer).serial.toString('hex')).toBe('01');
    const leaf = root.issue({ subject: { CN: 'seeded' }, publicKey: generateKeyPair().publicKey, profile: 'device', notBefore: T0, notAfter: T0 + DAY });
    expect(leaf.serialHex).toBe('02');
  });
});
