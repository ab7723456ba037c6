import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair, toPem } from '../../sim/pki/index.js';
import { attime, DAY, hierarchy, openssl, scratch, T0, x509, type Scratch } from './helpers.js';

let tmp: Scratch;
beforeEach(() => {
  tmp = scratch();
});
afterEach(() => {
  tmp.cleanup();
});

function setup() {
  const h = hierarchy();
  const issue = (cn: string) =>
    h.intermediate.issue({ subject: { CN: cn }, publicKey: generateKeyPair().publicKey, profile: 'device', notBefore: T0, notAfter: T0 + 90 * DAY });
  return { ...h, revoked: issue('device-revoked'), good: issue('device-good') };
}

describe('certificate revocation lists', () => {
  it('produces a v2 CRL that openssl crl -verify accepts with AKI and cRLNumber', () => {
    const { root, intermediate, revoked } = setup();
    const crl = intermediate.createCrl({ thisUpdate: T0, nextUpdate: T0 + 7 * DAY, revoked: [{ serialHex: revoked.serialHex, revokedAt: T0 + DAY }], crlNumber: 42 });
    const path = tmp.write('crl.pem', toPem(crl, 'X509 CRL'));
    const ca = tmp.write('ca.pem', root.certificatePem + intermediate.certificatePem);
    const result = openssl(['crl', '-in', path, '-CAfile', ca, '-verify', '-noout', '-text']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('verify OK');
    expect(result.stdout).toContain('Version 2 (0x1)');
    expect(result.stdout).toMatch(/X509v3 CRL Number:\s*\n\s+42\n/);
    expect(result.stdout).toMatch(/X509v3 Authority Key Identifier:\s*\n\s+[0-9A-F:]{59}\n/);
    expect(result.stdout).toContain(`Serial Number: ${revoked.serialHex.toUpperCase()}`);
  });

  it('makes openssl verify -crl_check report the revoked leaf as revoked and accept the other', () => {
    const { root, intermediate, revoked, good } = setup();
    const crl = intermediate.createCrl({ thisUpdate: T0, nextUpdate: T0 + 7 * DAY, revoked: [{ serialHex: revoked.serialHex, revokedAt: T0 + DAY }] });
    const args = (leaf: string) => [
      'verify', '-attime', attime(T0 + 2 * DAY), '-crl_check',
      '-CAfile', tmp.write('root.pem', root.certificatePem),
      '-untrusted', tmp.write('inter.pem', intermediate.certificatePem),
      '-CRLfile', tmp.write('crl.pem', toPem(crl, 'X509 CRL')),
      leaf,
    ];
    const bad = openssl(args(tmp.write('revoked.pem', revoked.pem)));
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('certificate revoked');
    const ok = openssl(args(tmp.write('good.pem', good.pem)));
    expect(ok.stdout).toContain(': OK');
    expect(ok.status).toBe(0);
  });

  it('numbers CRLs upward from 1 and omits an empty revoked list', async () => {
    const { intermediate, revoked } = setup();
    const first = new x509.X509Crl(intermediate.createCrl({ thisUpdate: T0, nextUpdate: T0 + DAY, revoked: [] }));
    const second = new x509.X509Crl(intermediate.createCrl({ thisUpdate: T0 + DAY, nextUpdate: T0 + 2 * DAY, revoked: [{ serialHex: revoked.serialHex, revokedAt: T0 }] }));
    const number = (crl: x509.X509Crl) => crl.getExtension('2.5.29.20')?.value;
    expect(Buffer.from(number(first) ?? new ArrayBuffer(0)).toString('hex')).toBe('020101');
    expect(Buffer.from(number(second) ?? new ArrayBuffer(0)).toString('hex')).toBe('020102');
    expect(first.entries).toHaveLength(0);
    expect(second.entries.map((e) => e.serialNumber.toLowerCase())).toEqual([revoked.serialHex]);
    expect(second.entries[0]?.revocationDate.getTime()).toBe(T0);
    expect(second.thisUpdate.getTime()).toBe(T0 + DAY);
    expect(second.nextUpdate?.getTime()).toBe(T0 + 2 * DAY);
    expect(await second.verify({ publicKey: new x509.X509Certificate(intermediate.certificateDer) })).toBe(true);
  });

  it('rejects a serial that is not hex', () => {
    const { intermediate } = setup();
    expect(() => intermediate.createCrl({ thisUpdate: T0, nextUpdate: T0 + DAY, revoked: [{ serialHex: 'xyz', revokedAt: T0 }] })).toThrow(/hex/);
  });
});
