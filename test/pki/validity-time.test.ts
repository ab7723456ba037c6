import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair, readCertificate } from '../../sim/pki/index.js';
import { decodeTime, readSingle } from '../../sim/pki/der-reader.js';
import { time } from '../../sim/pki/der-writer.js';
import { hierarchy, openssl, scratch, T0, x509, type Scratch } from './helpers.js';

let tmp: Scratch;
beforeEach(() => {
  tmp = scratch();
});
afterEach(() => {
  tmp.cleanup();
});

const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

describe('validity times (RFC 5280 4.1.2.5)', () => {
  it.each([
    ['2049-12-31T23:59:59Z', UTC_TIME],
    ['2050-01-01T00:00:00Z', GENERALIZED_TIME],
    ['9999-12-31T23:59:59Z', GENERALIZED_TIME],
  ])('encodes a notAfter of %s with the right tag and openssl, Node and @peculiar read the same instant', (iso, tag) => {
    const notAfter = Date.parse(iso);
    const { intermediate } = hierarchy();
    const leaf = intermediate.issue({ subject: { CN: 'device-time' }, publicKey: generateKeyPair().publicKey, profile: 'device', notBefore: T0, notAfter });
    const fields = readCertificate(leaf.der);
    expect(fields.validityTags).toEqual([UTC_TIME, tag]);
    expect(fields.notAfter).toBe(notAfter);

    const node = new X509Certificate(leaf.der);
    expect(Date.parse(node.validTo)).toBe(notAfter);
    const dates = openssl(['x509', '-noout', '-enddate', '-dateopt', 'iso_8601', '-in', tmp.write('leaf.pem', leaf.pem)]);
    expect(dates.status).toBe(0);
    // OpenSSL prints "notAfter=2049-12-31 23:59:59Z".
    const printed = /notAfter=(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})Z/.exec(dates.stdout);
    expect(printed && Date.parse(`${printed[1]}T${printed[2]}Z`)).toBe(notAfter);
    expect(new x509.X509Certificate(leaf.der).notAfter.getTime()).toBe(notAfter);
  });

  it('writes UTCTime from 1950 through 2049 and GeneralizedTime before and after', () => {
    const cases: [string, number, string][] = [
      ['1949-12-31T23:59:59Z', GENERALIZED_TIME, '19491231235959Z'],
      ['1950-01-01T00:00:00Z', UTC_TIME, '500101000000Z'],
      ['1999-12-31T23:59:59Z', UTC_TIME, '991231235959Z'],
      ['2000-01-01T00:00:00Z', UTC_TIME, '000101000000Z'],
      ['2049-12-31T23:59:59Z', UTC_TIME, '491231235959Z'],
      ['2050-01-01T00:00:00Z', GENERALIZED_TIME, '20500101000000Z'],
      ['0001-01-01T00:00:00Z', GENERALIZED_TIME, '00010101000000Z'],
    ];
    for (const [iso, tag, text] of cases) {
      const der = time(Date.parse(iso));
      expect(der[0]).toBe(tag);
      expect(der.subarray(2).toString('latin1')).toBe(text);
      expect(decodeTime(readSingle(der))).toBe(Date.parse(iso));
    }
  });

  it('floors milliseconds to whole seconds, also before 1970', () => {
    expect(decodeTime(readSingle(time(Date.parse('2030-06-01T12:00:00.999Z'))))).toBe(Date.parse('2030-06-01T12:00:00Z'));
    expect(decodeTime(readSingle(time(Date.parse('1969-12-31T23:59:59.500Z'))))).toBe(Date.parse('1969-12-31T23:59:59Z'));
  });

  it('rejects times outside years 0000-9999', () => {
    expect(() => time(Date.parse('9999-12-31T23:59:59Z') + 1000)).toThrow(/outside years/);
    expect(() => time(Number.NaN)).toThrow(/invalid time/);
  });

  it('refuses a notBefore later than the notAfter', () => {
    const { intermediate } = hierarchy();
    expect(() =>
      intermediate.issue({ subject: { CN: 'backwards' }, publicKey: generateKeyPair().publicKey, profile: 'device', notBefore: T0 + 1000, notAfter: T0 }),
    ).toThrow(/notBefore/);
  });
});
