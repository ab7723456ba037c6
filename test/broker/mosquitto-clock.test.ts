import { describe, expect, it } from 'vitest';
import { faketimeTimestamp } from '../../broker/mosquitto/faketime-clock.js';
import { ValidityBounds } from '../../broker/mosquitto/validity-bounds.js';
import { generateKeyPair } from '../../sim/pki/index.js';
import { authorityFromPki, buildScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { tinyScenario } from '../support/tiny-scenario.js';
import { DAY, SECOND } from '../support/time.js';

const pki = buildScenarioPki(tinyScenario(), 7);
const pool = new CertificatePool();
const NOT_AFTER = Date.parse('2030-01-10T14:01:15Z');

function certificate(cn: string, notBefore: number, notAfter: number): ParsedCertificate {
  const issued = authorityFromPki(pki, 'device-ca', 7, `clock-${cn}`).issue({ subject: { CN: cn }, publicKey: generateKeyPair('ec-p256').publicKey, profile: 'device', notBefore, notAfter });
  return pool.parsePem(issued.pem)[0] as ParsedCertificate;
}

describe('the time libfaketime gives the certfleet-run Mosquitto', () => {
  it('is a frozen UTC time in the format libfaketime reads, cut to the second', () => {
    expect(faketimeTimestamp(NOT_AFTER + 999)).toBe('2030-01-10 14:01:15');
  });

  it('reads one second early exactly at a notAfter, which OpenSSL 3.0 already refuses and RFC 5280 still accepts', () => {
    const bounds = new ValidityBounds();
    bounds.add(certificate('ending', NOT_AFTER - DAY, NOT_AFTER));
    expect(bounds.openSslSecond(NOT_AFTER - 1)).toBe(NOT_AFTER - SECOND);
    expect(bounds.openSslSecond(NOT_AFTER)).toBe(NOT_AFTER - SECOND);
    expect(bounds.openSslSecond(NOT_AFTER + 1)).toBe(NOT_AFTER);
  });

  it('lets the certificate that begins win when another ends at the same instant', () => {
    const bounds = new ValidityBounds();
    bounds.add(certificate('ending', NOT_AFTER - DAY, NOT_AFTER));
    bounds.add(certificate('starting', NOT_AFTER, NOT_AFTER + DAY));
    expect(bounds.openSslSecond(NOT_AFTER)).toBe(NOT_AFTER);
  });

  it('changes its verdict at every notBefore and just after every notAfter', () => {
    const bounds = new ValidityBounds();
    bounds.add(certificate('one', NOT_AFTER - DAY, NOT_AFTER));
    bounds.add(certificate('two', NOT_AFTER + DAY, NOT_AFTER + 2 * DAY));
    expect(bounds.firstChangeAfter(NOT_AFTER - DAY)).toBe(NOT_AFTER + 1);
    expect(bounds.firstChangeAfter(NOT_AFTER)).toBe(NOT_AFTER + 1);
    expect(bounds.firstChangeAfter(NOT_AFTER + 1)).toBe(NOT_AFTER + DAY);
    expect(bounds.firstChangeAfter(NOT_AFTER + 2 * DAY + 1)).toBeUndefined();
  });
});
