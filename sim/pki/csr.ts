/**
 * PKCS#10 certification requests (RFC 2986): built on the device side, parsed and verified on the CA side.
 */
import { verify, type KeyObject } from 'node:crypto';
import { bitString, implicit, integer, ownedSequence, sequence } from './der-writer.js';
import { DerError, decodeBitString, decodeSmallInteger, expectTag, readChildren, readSingle } from './der-reader.js';
import { algorithmOid } from './certificate-reader.js';
import { publicKeyFromSpki, signatureAlgorithmFor, signSha256, SIGNATURE_OIDS, spkiDer } from './key-pair.js';
import { encodeName, nameIdentity, type NameIdentity } from './names.js';
import type { DistinguishedName, KeyPair } from './types.js';

// RFC 2986 4.1: attributes [0] IMPLICIT SET OF Attribute, present even when empty.
const EMPTY_ATTRIBUTES = implicit(0, Buffer.alloc(0), true);
const VERSION_1 = integer(0);

/** A DER PKCS#10 CSR for `subject`, signed with the key pair's private key (SHA-256). */
export function createCsr(opts: { subject: DistinguishedName; keyPair: KeyPair }): Buffer {
  // RFC 2986 4.1: CertificationRequestInfo ::= SEQUENCE { version 0, subject, subjectPKInfo, attributes [0] }.
  const info = sequence(VERSION_1, encodeName(opts.subject), spkiDer(opts.keyPair.publicKey), EMPTY_ATTRIBUTES);
  const algorithm = signatureAlgorithmFor(opts.keyPair.privateKey);
  // RFC 2986 4.2: CertificationRequest ::= SEQUENCE { info, signatureAlgorithm, signature BIT STRING }.
  return ownedSequence(info, algorithm, bitString(signSha256(info, opts.keyPair.privateKey)));
}

export interface ParsedCsr {
  /** The exact subject Name DER of the request. */
  subjectDer: Buffer;
  /** The identity the subject names (`nameIdentity`): one CN, none, or no single one. */
  identity: NameIdentity;
  /** The CN when the subject names exactly one identity. */
  commonName: string | undefined;
  publicKey: KeyObject;
  /** The request is signed by the key it carries (RFC 2986 3, proof of possession). */
  signatureValid: boolean;
}

// Hash per signature algorithm (RFC 5758 3.2, RFC 4055 5); anything else verifies as false.
const HASHES = new Map<string, string>([
  [SIGNATURE_OIDS.ecdsaWithSha256, 'sha256'],
  ['1.2.840.10045.4.3.3', 'sha384'],
  ['1.2.840.10045.4.3.4', 'sha512'],
  [SIGNATURE_OIDS.sha256WithRsa, 'sha256'],
  ['1.2.840.113549.1.1.12', 'sha384'],
  ['1.2.840.113549.1.1.13', 'sha512'],
]);

const KEY_ALGORITHMS = new Map<string, string>([
  ['1.2.840.10045.4.3.2', 'ec'],
  ['1.2.840.10045.4.3.3', 'ec'],
  ['1.2.840.10045.4.3.4', 'ec'],
  ['1.2.840.113549.1.1.11', 'rsa'],
  ['1.2.840.113549.1.1.12', 'rsa'],
  ['1.2.840.113549.1.1.13', 'rsa'],
]);

/**
 * Parses a DER CSR and checks its signature. Throws a `DerError` (or an Error naming the CSR) when the DER or the
 * public key is malformed; a well-formed CSR with a wrong signature or unknown algorithm gives `signatureValid: false`.
 */
export function parseCsr(der: Buffer): ParsedCsr {
  const [infoEl, algEl, sigEl, extra] = readChildren(expectTag(readSingle(der, 'CSR'), 0x30, 'CSR'), 'CSR');
  if (extra) throw new DerError('CSR: more than three fields');
  const info = expectTag(infoEl, 0x30, 'CertificationRequestInfo');
  const [version, subject, spki, attributes, more] = readChildren(info, 'CertificationRequestInfo');
  if (decodeSmallInteger(expectTag(version, 0x02, 'CSR version'), 'CSR version') !== 0) throw new DerError('CSR: version must be 0 (v1)');
  const subjectDer = expectTag(subject, 0x30, 'CSR subject').raw;
  const spkiDer = expectTag(spki, 0x30, 'CSR subjectPKInfo').raw;
  expectTag(attributes, 0xa0, 'CSR attributes');
  if (more) throw new DerError('CertificationRequestInfo: unexpected field after attributes');
  const algorithm = algorithmOid(algEl);
  const signature = decodeBitString(expectTag(sigEl, 0x03, 'CSR signature'), 'CSR signature');
  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromSpki(Buffer.from(spkiDer));
  } catch (err) {
    throw new DerError(`CSR: unreadable subjectPKInfo (${(err as Error).message})`);
  }
  const identity = nameIdentity(subjectDer);
  const hash = HASHES.get(algorithm);
  let signatureValid = false;
  if (hash && signature.unusedBits === 0 && KEY_ALGORITHMS.get(algorithm) === publicKey.asymmetricKeyType) {
    try {
      signatureValid = verify(hash, info.raw, publicKey, signature.bytes);
    } catch {
      signatureValid = false; // e.g. an ECDSA signature that is not a DER ECDSA-Sig-Value
    }
  }
  const commonName = identity.kind === 'one' ? identity.commonName : undefined;
  return { subjectDer: Buffer.from(subjectDer), identity, commonName, publicKey, signatureValid };
}
