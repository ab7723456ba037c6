/**
 * Assembles and signs X.509 v3 certificates (RFC 5280 4.1) from pre-encoded parts, and makes serial numbers.
 * The CA keeps its issuer name, AKI and signature algorithm encoded once; per certificate only the serial,
 * validity, subject, key and variable extensions are encoded, then node:crypto signs the TBSCertificate.
 */
import { randomFillSync, type KeyObject } from 'node:crypto';
import { bitString, explicit, integer, ownedSequence, sequence, tlv, time, unsignedIntegerContent, TAG } from './der-writer.js';
import { signSha256 } from './key-pair.js';
import { toPem } from './pem.js';
import type { IssuedCertificate } from './types.js';

export interface CertificateTemplate {
  /** The serialNumber INTEGER content octets, as `serialContent` returns them. */
  serial: Buffer;
  /** The signature AlgorithmIdentifier DER (RFC 5280 4.1.2.3, equal to 4.1.1.2). */
  signatureAlgorithm: Buffer;
  issuerDer: Buffer;
  subjectDer: Buffer;
  spkiDer: Buffer;
  notBefore: number;
  notAfter: number;
  /** Extension DERs, in the order to write them. */
  extensions: readonly Buffer[];
}

// RFC 5280 4.1.2.1: version [0] EXPLICIT v3(2), since the certificates carry extensions.
const VERSION_V3 = explicit(0, integer(2));

/** Builds the TBSCertificate, signs it with `signingKey` and returns the DER, PEM and serial. */
export function signCertificate(t: CertificateTemplate, signingKey: KeyObject): IssuedCertificate {
  if (!(t.notBefore <= t.notAfter)) throw new RangeError(`notBefore ${t.notBefore} is after notAfter ${t.notAfter}`);
  const tbs = sequence(
    VERSION_V3,
    tlv(TAG.INTEGER, t.serial),
    t.signatureAlgorithm,
    t.issuerDer,
    sequence(time(t.notBefore), time(t.notAfter)),
    t.subjectDer,
    t.spkiDer,
    explicit(3, sequence(...t.extensions)),
  );
  const der = ownedSequence(tbs, t.signatureAlgorithm, bitString(signSha256(tbs, signingKey)));
  return { der, pem: toPem(der, 'CERTIFICATE'), serialHex: t.serial.toString('hex') };
}

/**
 * RFC 5280 4.1.2.2: serialNumber is a positive INTEGER of at most 20 octets. `magnitude` is read as an unsigned
 * big-endian number, so a high first bit gets a 0x00 prefix (which then counts toward the 20).
 */
export function serialContent(magnitude: Buffer): Buffer {
  const content = unsignedIntegerContent(magnitude);
  if (content.length === 1 && content[0] === 0) throw new RangeError('serial number must be positive, got 0');
  if (content.length > 20) throw new RangeError(`serial number is ${content.length} octets as a DER INTEGER; RFC 5280 4.1.2.2 allows 20`);
  return content;
}

const RANDOM_POOL = Buffer.allocUnsafe(4096);
let randomOffset = RANDOM_POOL.length;

/**
 * A random 16-octet serial with 126 random bits: the first octet is forced into 0x40-0x7f, so the INTEGER is
 * positive, needs no 0x00 prefix and is always exactly 16 octets (minimal). Bytes come from a refilled CSPRNG pool.
 */
export function randomSerial(): Buffer {
  if (randomOffset + 16 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomOffset = 0;
  }
  const out = Buffer.from(RANDOM_POOL.subarray(randomOffset, randomOffset + 16));
  randomOffset += 16;
  out[0] = ((out[0] as number) & 0x3f) | 0x40;
  return out;
}

/** Hex serial (any case, leading zeros allowed) to INTEGER content octets, validated like `serialContent`. */
export function serialFromHex(hex: string): Buffer {
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`serial must be hex: "${hex}"`);
  return serialContent(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}
