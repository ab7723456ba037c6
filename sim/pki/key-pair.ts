/**
 * Keys and signatures, all through node:crypto: key generation, SubjectPublicKeyInfo export, and the
 * signature AlgorithmIdentifier an issuer's key implies (RFC 5758 3.2 for ECDSA, RFC 4055 5 for RSA).
 */
import { createECDH, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { nullValue, oid, sequence } from './der-writer.js';
import { decodeBitString, expectTag, readChildren, readSingle } from './der-reader.js';
import type { KeyAlgorithm, KeyPair } from './types.js';

export const SIGNATURE_OIDS = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

const SPKI_CACHE = new WeakMap<KeyObject, Buffer>();

// RFC 5480 2: SubjectPublicKeyInfo { { id-ecPublicKey, namedCurve secp256r1 }, BIT STRING (0 unused) } prefix,
// followed by the 65-octet uncompressed point 04||x||y (SEC 1 2.3.3); the same bytes OpenSSL writes.
const EC_P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const EC_P256_SPKI_LENGTH = EC_P256_SPKI_PREFIX.length + 65;

/**
 * EC P-256 by default; RSA-2048 takes 150-450 ms per key, so keep it for CAs and the odd test.
 *
 * P-256 keys come from `createECDH` (the raw point is the SPKI's BIT STRING, so no export is needed) and are
 * imported as JWK. Not `generateKeyPairSync` + `export()`: OpenSSL 3's SPKI encoder costs ~0.17 ms a key, and
 * `export({ format: 'jwk' })` of a freshly generated key can deadlock Node 20 (it allocates while holding the key's
 * mutex; a GC finalizing the key's KeyGenJob then locks the same mutex), so JWK export is never used here.
 */
export function generateKeyPair(algorithm: KeyAlgorithm = 'ec-p256'): KeyPair {
  if (algorithm === 'rsa-2048' || algorithm === 'rsa-1024') {
    const modulusLength = algorithm === 'rsa-2048' ? 2048 : 1024;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength, publicExponent: 0x10001 });
    return { algorithm, privateKey, publicKey };
  }
  const ecdh = createECDH('prime256v1');
  const point = ecdh.generateKeys();
  const d = ecdh.getPrivateKey();
  const privateKey = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url'), d: leftPad32(d).toString('base64url') },
    format: 'jwk',
  });
  const publicKey = createPublicKey(privateKey);
  const spki = Buffer.concat([EC_P256_SPKI_PREFIX, point], EC_P256_SPKI_LENGTH);
  SPKI_CACHE.set(privateKey, spki);
  SPKI_CACHE.set(publicKey, spki);
  return { algorithm, privateKey, publicKey };
}

function leftPad32(bytes: Buffer): Buffer {
  return bytes.length >= 32 ? bytes : Buffer.concat([Buffer.alloc(32 - bytes.length), bytes]);
}

/**
 * 'ec' or 'rsa' for a public or private KeyObject; other key types are not supported. EC keys are P-256 (what
 * certfleet generates) or P-384 (a subject key a device may bring in a CSR).
 */
export function keyKind(key: KeyObject): 'ec' | 'rsa' {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1' && curve !== 'secp384r1') throw new Error(`unsupported EC curve ${curve ?? '(unknown)'}: only P-256 and P-384`);
    return 'ec';
  }
  if (type === 'rsa') return 'rsa';
  throw new Error(`unsupported key type ${type ?? key.type}: only EC P-256, P-384 and RSA`);
}

/** The `KeyAlgorithm` of a key (RSA of any size reports 'rsa-2048' only when it is 2048 bits). */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  if (keyKind(key) === 'ec') {
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('unsupported EC curve: only P-256 is a KeyAlgorithm');
    return 'ec-p256';
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === 2048) return 'rsa-2048';
  if (bits === 1024) return 'rsa-1024';
  throw new Error(`unsupported RSA modulus length ${bits ?? '(unknown)'}: only 2048 (and 1024, deliberately weak)`);
}

/** RFC 5280 4.1.2.7: SubjectPublicKeyInfo DER of a key (a private key gives its public half). Cached per KeyObject. */
export function spkiDer(key: KeyObject): Buffer {
  let der = SPKI_CACHE.get(key);
  if (!der) {
    // KeyObject.export takes no lock that a GC callback could also take, unlike JWK export (see generateKeyPair).
    der = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
    SPKI_CACHE.set(key, der);
  }
  return der;
}

/**
 * A public KeyObject from SPKI DER, remembering the bytes for `spkiDer`. P-256 keys are imported through JWK
 * coordinates (OpenSSL still checks the point is on the curve), which skips OpenSSL 3's slower DER decoder.
 */
export function publicKeyFromSpki(spki: Buffer): KeyObject {
  let key: KeyObject;
  if (spki.length === EC_P256_SPKI_LENGTH && spki[EC_P256_SPKI_PREFIX.length] === 0x04 && spki.subarray(0, EC_P256_SPKI_PREFIX.length).equals(EC_P256_SPKI_PREFIX)) {
    const at = EC_P256_SPKI_PREFIX.length + 1;
    const x = spki.subarray(at, at + 32).toString('base64url');
    const y = spki.subarray(at + 32, at + 64).toString('base64url');
    key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
  } else {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  }
  SPKI_CACHE.set(key, spki);
  return key;
}

/** The subjectPublicKey BIT STRING value of an SPKI (without tag, length and unused-bits octet). */
export function subjectPublicKeyBits(spki: Buffer): Buffer {
  const [algorithm, bits] = readChildren(expectTag(readSingle(spki, 'SubjectPublicKeyInfo'), 0x30, 'SubjectPublicKeyInfo'));
  expectTag(algorithm, 0x30, 'SubjectPublicKeyInfo algorithm');
  return decodeBitString(expectTag(bits, 0x03, 'subjectPublicKey'), 'subjectPublicKey').bytes;
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
export function subjectKeyIdentifierOf(spki: Buffer): Buffer {
  return createHash('sha1').update(subjectPublicKeyBits(spki)).digest();
}

// RFC 5758 3.2: ecdsa-with-SHA256 has absent parameters. RFC 4055 5: sha256WithRSAEncryption has NULL parameters.
const ECDSA_SHA256 = sequence(oid(SIGNATURE_OIDS.ecdsaWithSha256));
const RSA_SHA256 = sequence(oid(SIGNATURE_OIDS.sha256WithRsa), nullValue());

/** The signature AlgorithmIdentifier DER for what `key` signs (RFC 5280 4.1.1.2). */
export function signatureAlgorithmFor(key: KeyObject): Buffer {
  return keyKind(key) === 'ec' ? ECDSA_SHA256 : RSA_SHA256;
}

/**
 * Signs with SHA-256. For EC keys Node returns the DER ECDSA-Sig-Value (RFC 5480 / RFC 3279 2.2.3) that X.509
 * wants in the signature BIT STRING; for RSA it is PKCS#1 v1.5.
 */
export function signSha256(data: Buffer, privateKey: KeyObject): Buffer {
  return sign('sha256', data, privateKey);
}
