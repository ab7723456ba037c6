/**
 * Certificate and CRL extensions (RFC 5280 4.2, 5.2) and the extension set of each certificate profile.
 *
 * Authority key identifier choice: self-signed roots carry no AKI (RFC 5280 4.2.1.1 allows omitting it
 * "where a CA distributes its public key in the form of a self-signed certificate"); every other
 * certificate, cross-signed ones included, carries keyIdentifier = the issuer's SKI.
 */
import { isIPv4 } from 'node:net';
import { bitString, boolean, explicit, ia5Bytes, implicit, integer, octetString, oid, sequence } from './der-writer.js';
import { DerError, decodeBoolean, decodeOid, decodeSmallInteger, expectTag, readChildren, readSingle } from './der-reader.js';
import type { CertificateProfile } from './types.js';

export const EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

export const EKU_OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

/** RFC 5280 4.2.1.3 KeyUsage bit numbers. */
export const KEY_USAGE_BITS = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;
export type KeyUsageName = keyof typeof KEY_USAGE_BITS;

/** RFC 5280 4.1: Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
export function extension(extnId: string, critical: boolean, value: Buffer): Buffer {
  // X.690 11.5: DER leaves out a value equal to its DEFAULT, so FALSE is never written.
  return critical ? sequence(oid(extnId), boolean(true), octetString(value)) : sequence(oid(extnId), octetString(value));
}

/** RFC 5280 4.2.1.9: basicConstraints, always critical here; pathLenConstraint only for CAs. */
export function basicConstraints(ca: boolean, pathLength?: number): Buffer {
  if (!ca) return extension(EXTENSION_OIDS.basicConstraints, true, sequence());
  return extension(EXTENSION_OIDS.basicConstraints, true, pathLength === undefined ? sequence(boolean(true)) : sequence(boolean(true), integer(pathLength)));
}

/** RFC 5280 4.2.1.3: keyUsage, critical; X.690 11.2.2: named bit strings drop trailing zero bits. */
export function keyUsage(usages: readonly KeyUsageName[]): Buffer {
  let highest = -1;
  for (const u of usages) highest = Math.max(highest, KEY_USAGE_BITS[u]);
  if (highest < 0) throw new Error('keyUsage needs at least one usage');
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const u of usages) {
    const bit = KEY_USAGE_BITS[u];
    bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
  }
  return extension(EXTENSION_OIDS.keyUsage, true, bitString(bytes, 7 - (highest & 7)));
}

/** RFC 5280 4.2.1.12: extKeyUsage, not critical. */
export function extKeyUsage(purposes: readonly string[]): Buffer {
  return extension(EXTENSION_OIDS.extKeyUsage, false, sequence(...purposes.map((p) => oid(p))));
}

/** RFC 5280 4.2.1.2: subjectKeyIdentifier, not critical. */
export function subjectKeyIdentifier(keyId: Buffer): Buffer {
  return extension(EXTENSION_OIDS.subjectKeyIdentifier, false, octetString(keyId));
}

/** RFC 5280 4.2.1.1: authorityKeyIdentifier with keyIdentifier [0] IMPLICIT only, not critical. */
export function authorityKeyIdentifier(keyId: Buffer): Buffer {
  return extension(EXTENSION_OIDS.authorityKeyIdentifier, false, sequence(implicit(0, keyId)));
}

export interface SubjectAltNames {
  dns?: string[] | undefined;
  ip?: string[] | undefined;
}

/** RFC 5280 4.2.1.6: subjectAltName with dNSName [2] IA5String and iPAddress [7] (IPv4, 4 octets). */
export function subjectAltName(names: SubjectAltNames): Buffer {
  const general: Buffer[] = [];
  for (const dns of names.dns ?? []) general.push(implicit(2, ia5Bytes(dns)));
  for (const ip of names.ip ?? []) {
    if (!isIPv4(ip)) throw new Error(`subjectAltName iPAddress must be dotted IPv4: "${ip}"`);
    general.push(implicit(7, Buffer.from(ip.split('.').map(Number))));
  }
  // RFC 5280 4.2.1.6: a subjectAltName must contain at least one entry (GeneralNames SIZE (1..MAX)).
  if (general.length === 0) throw new Error('subjectAltName needs at least one name');
  return extension(EXTENSION_OIDS.subjectAltName, false, sequence(...general));
}

/** RFC 5280 5.2.3: cRLNumber, not critical, a non-negative integer up to 20 octets. */
export function crlNumber(value: number): Buffer {
  return extension(EXTENSION_OIDS.cRLNumber, false, integer(value));
}

/** Extensions wrapped as `[3] EXPLICIT Extensions` (certificates) or `[0] EXPLICIT` (CRLs). */
export function extensionsField(tagNumber: number, extensions: readonly Buffer[]): Buffer {
  return explicit(tagNumber, sequence(...extensions));
}

const PROFILE_CACHE = new Map<string, Buffer[]>();

/**
 * The fixed extensions of a profile (everything but SKI, AKI and SAN), cached:
 * CAs: basicConstraints cA (+pathLen), keyUsage keyCertSign|cRLSign;
 * leaves: basicConstraints cA FALSE, keyUsage digitalSignature (+keyEncipherment for RSA keys, RFC 5280 4.2.1.3),
 * extKeyUsage serverAuth (server) or clientAuth (device).
 */
export function profileExtensions(profile: CertificateProfile, subjectKeyKind: 'ec' | 'rsa', pathLength?: number): Buffer[] {
  const isCA = profile === 'root-ca' || profile === 'intermediate-ca';
  if (pathLength !== undefined && (!isCA || !Number.isSafeInteger(pathLength) || pathLength < 0)) {
    throw new Error(`pathLength ${pathLength} needs a CA profile and a non-negative integer`);
  }
  const key = isCA ? `${profile}:${pathLength ?? ''}` : `${profile}:${subjectKeyKind}`;
  let cached = PROFILE_CACHE.get(key);
  if (!cached) {
    cached = isCA
      ? [basicConstraints(true, pathLength), keyUsage(['keyCertSign', 'cRLSign'])]
      : [
          basicConstraints(false),
          keyUsage(subjectKeyKind === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature']),
          extKeyUsage([profile === 'server' ? EKU_OIDS.serverAuth : EKU_OIDS.clientAuth]),
        ];
    PROFILE_CACHE.set(key, cached);
  }
  return cached;
}

export interface ParsedExtension {
  critical: boolean;
  /** The extnValue OCTET STRING content: the DER of the extension's own value. */
  value: Buffer;
}

/** Parses an Extensions SEQUENCE into a map by OID; duplicate OIDs are malformed (RFC 5280 4.2). */
export function readExtensions(extensionsSeq: Buffer): Map<string, ParsedExtension> {
  const out = new Map<string, ParsedExtension>();
  for (const ext of readChildren(expectTag(readSingle(extensionsSeq, 'Extensions'), 0x30, 'Extensions'), 'Extensions')) {
    const parts = readChildren(expectTag(ext, 0x30, 'Extension'), 'Extension');
    if (parts.length < 2 || parts.length > 3) throw new DerError(`Extension: expected 2 or 3 fields, got ${parts.length}`);
    const [idEl, second, third] = parts;
    const id = decodeOid(expectTag(idEl, 0x06, 'extnID'), 'extnID');
    const critical = third ? decodeBoolean(expectTag(second, 0x01, `Extension ${id} critical`)) : false;
    const value = expectTag(third ?? second, 0x04, `Extension ${id} extnValue`);
    if (out.has(id)) throw new DerError(`Extension ${id} appears twice`);
    out.set(id, { critical, value: value.content });
  }
  return out;
}

/** subjectKeyIdentifier value (the key id octets). */
export function readSubjectKeyIdentifier(value: Buffer): Buffer {
  return expectTag(readSingle(value, 'subjectKeyIdentifier'), 0x04, 'subjectKeyIdentifier').content;
}

/** basicConstraints value: cA and pathLenConstraint. */
export function readBasicConstraints(value: Buffer): { ca: boolean; pathLength: number | undefined } {
  const fields = readChildren(expectTag(readSingle(value, 'basicConstraints'), 0x30, 'basicConstraints'), 'basicConstraints');
  let ca = false;
  let pathLength: number | undefined;
  for (const f of fields) {
    if (f.tag === 0x01) ca = decodeBoolean(f, 'basicConstraints cA');
    else pathLength = decodeSmallInteger(f, 'basicConstraints pathLenConstraint');
  }
  return { ca, pathLength };
}
