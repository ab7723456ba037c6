/**
 * X.509 v2 certificate revocation lists (RFC 5280 5.1), assembled from pre-encoded parts and signed with
 * node:crypto like certificates.
 */
import type { KeyObject } from 'node:crypto';
import { bitString, explicit, integer, ownedSequence, sequence, tlv, time, TAG } from './der-writer.js';
import { signSha256 } from './key-pair.js';

export interface CrlTemplate {
  signatureAlgorithm: Buffer;
  /** The issuer Name DER: byte-equal to the subject of the CA certificate (RFC 5280 5.1.2.3). */
  issuerDer: Buffer;
  thisUpdate: number;
  nextUpdate: number;
  /** Serial INTEGER content octets and revocation time (ms). */
  revoked: readonly { serial: Buffer; revokedAt: number }[];
  /** crlExtensions DERs (AKI and cRLNumber are required by RFC 5280 5.2.1 and 5.2.3). */
  extensions: readonly Buffer[];
}

// RFC 5280 5.1.2.1: version v2 (INTEGER 1), required because the CRL has extensions.
const VERSION_V2 = integer(1);

/** Builds the TBSCertList, signs it and returns the CRL DER. */
export function signCrl(t: CrlTemplate, signingKey: KeyObject): Buffer {
  if (!(t.thisUpdate <= t.nextUpdate)) throw new RangeError(`thisUpdate ${t.thisUpdate} is after nextUpdate ${t.nextUpdate}`);
  const fields: Buffer[] = [VERSION_V2, t.signatureAlgorithm, t.issuerDer, time(t.thisUpdate), time(t.nextUpdate)];
  // RFC 5280 5.1.2.6: with no revoked certificates the list MUST be absent, not empty.
  if (t.revoked.length > 0) {
    fields.push(sequence(...t.revoked.map((r) => sequence(tlv(TAG.INTEGER, r.serial), time(r.revokedAt)))));
  }
  // RFC 5280 5.1.2.7: crlExtensions [0] EXPLICIT Extensions.
  if (t.extensions.length > 0) fields.push(explicit(0, sequence(...t.extensions)));
  const tbs = sequence(...fields);
  return ownedSequence(tbs, t.signatureAlgorithm, bitString(signSha256(tbs, signingKey)));
}
