/**
 * Keys and signatures, all through node:crypto: key generation, SubjectPublicKeyInfo export, and the
 * signature AlgorithmIdentifier an issuer's key implies (RFC 5758 3.2 for ECDSA, RFC 4055 5 for RSA).
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { bitString, integer, nullValue, oid, sequence } from './der-writer.js';
import { decodeBitString, expectTag, readChildren, readSingle } from './der-reader.js';
import type { KeyAlgorithm, KeyPair } from './types.js';

export const SIGNATURE_OIDS = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

/** EC P-256 by default; RSA-2048 takes 150-250 ms per key, so keep it for CAs and the odd test. */
export function generateKeyPair(algorithm: KeyAlgorithm = 'ec-p256'): KeyPair {
  const { privateKey, publicKey } =
    algorithm === 'ec-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return { algorithm, privateKey, publicKey };
}

/** 'ec' or 'rsa' for a public or private KeyObject; other key types are not supported. */
export function keyKind(key: KeyObject): 'ec' | 'rsa' {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1') throw new Error(`unsupported EC curve ${curve ?? '(unknown)'}: only P-256`);
    return 'ec';
  }
  if (type === 'rsa') return 'rsa';
  throw new Error(`unsupported key type ${type ?? key.type}: only EC P-256 and RSA`);
}

/** The `KeyAlgorithm` of a key (RSA of any size reports 'rsa-2048' only when it is 2048 bits). */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  if (keyKind(key) === 'ec') return 'ec-p256';
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== 2048) throw new Error(`unsupported RSA modulus length ${bits ?? '(unknown)'}: only 2048`);
  return 'rsa-2048';
}

const SPKI_CACHE = new WeakMap<KeyObject, Buffer>();

// RFC 5480 2: SubjectPublicKeyInfo { { id-ecPublicKey, namedCurve secp256r1 }, BIT STRING (0 unused) } prefix,
// followed by the 65-octet uncompressed point 04||x||y (SEC 1 2.3.3); the same bytes OpenSSL writes.
const EC_P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const EC_P256_SPKI_LENGTH = EC_P256_SPKI_PREFIX.length + 65;
const RSA_ALGORITHM = sequence(oid('1.2.840.113549.1.1.1'), nullValue());

function coordinate(b64url: string | undefined): Buffer {
  const bytes = Buffer.from(b64url ?? '', 'base64url');
  if (bytes.length > 32) throw new Error('EC coordinate longer than 32 octets');
  return bytes.length === 32 ? bytes : Buffer.concat([Buffer.alloc(32 - bytes.length), bytes]);
}

/**
 * SPKI DER built from the key's JWK form: OpenSSL 3's SPKI encoder costs ~0.2 ms a key (slower than an ECDSA
 * signature), its JWK export ~5 us. RFC 5480 2 (EC) and RFC 3279 2.3.1 (RSA: SEQUENCE { n, e } in a BIT STRING).
 */
function exportSpki(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    return Buffer.concat([EC_P256_SPKI_PREFIX, Buffer.from([0x04]), coordinate(jwk.x), coordinate(jwk.y)], EC_P256_SPKI_LENGTH);
  }
  if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
    const rsaPublicKey = sequence(integer(Buffer.from(jwk.n, 'base64url')), integer(Buffer.from(jwk.e, 'base64url')));
    return sequence(RSA_ALGORITHM, bitString(rsaPublicKey));
  }
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

/** RFC 5280 4.1.2.7: SubjectPublicKeyInfo DER of a key (a private key gives its public half). Cached per KeyObject. */
export function spkiDer(key: KeyObject): Buffer {
  let der = SPKI_CACHE.get(key);
  if (!der) {
    der = exportSpki(key);
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
