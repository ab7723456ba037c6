/**
 * Which subject keys the CA signs a CSR for. Factory issuance (`CertificateAuthority.issue`) builds deliberately
 * weak keys for the key-quality audit; a CSR is a request from outside, so it must carry a key worth certifying.
 */
import type { KeyObject } from 'node:crypto';

/** RSA moduli below this are refused (NIST SP 800-131A Rev. 2 table 2: RSA-1024 is disallowed for signatures). */
export const MIN_RSA_BITS = 2048;

/** EC curves a CSR key may use (RFC 5480 2.1.1.1: secp256r1, secp384r1), by Node's `namedCurve`. */
const EC_CURVES: ReadonlyMap<string, string> = new Map([
  ['prime256v1', 'P-256'],
  ['secp384r1', 'P-384'],
]);

export interface KeyRefusal {
  reason: 'weak_key' | 'unsupported_key';
  detail: string;
}

/** Why the CA must not certify `key` for a CSR; undefined when it may. */
export function csrKeyRefusal(key: KeyObject): KeyRefusal | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return { reason: 'weak_key', detail: `an RSA key of ${bits} bits, expected at least ${MIN_RSA_BITS}` };
    const exponent = details.publicExponent ?? 0n;
    // FIPS 186-5 A.1.1 (as SP 800-89 5.3.3): an odd public exponent with 2^16 < e < 2^256.
    if (exponent % 2n === 0n || exponent <= 65536n || exponent >= 2n ** 256n) {
      return { reason: 'weak_key', detail: `an RSA public exponent of ${exponent}, expected an odd one above 2^16` };
    }
    return undefined;
  }
  if (type === 'ec') {
    const curve = details.namedCurve ?? '(unnamed)';
    if (EC_CURVES.has(curve)) return undefined;
    return { reason: 'weak_key', detail: `an EC key on curve ${curve}, expected ${[...EC_CURVES.values()].join(' or ')}` };
  }
  return { reason: 'unsupported_key', detail: `a ${type ?? key.type} key, expected RSA (${MIN_RSA_BITS} bits or more) or EC ${[...EC_CURVES.values()].join(' or ')}` };
}
