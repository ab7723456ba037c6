/**
 * Parse-once certificate cache and memoised issuer checks.
 *
 * `new X509Certificate(der)` costs more than an ECDSA verify (OpenSSL 3.0 builds the public key while decoding), so
 * every certificate is parsed once, keyed by the SHA-256 of its DER, and everything the verifier reads repeatedly
 * (dates, CA flag, key usages, key identifiers, the public key) is read once here. Signature checks are memoised
 * per (child, issuer fingerprint) pair: re-judging a chain costs map lookups, not ECDSA verifies.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { EXTENSION_OIDS, certificateBasicConstraints, certificateSubjectKeyId, nameIdentity, readCertificate, type NameIdentity } from '../pki/index.js';
import { readChildren, readSingle } from '../pki/der-reader.js';
import type { CertificateFields } from '../pki/index.js';
import type { IssuerChecks, IssueCheck, ParsedCertificate } from './types.js';

export interface CertificatePoolOptions {
  /** Parsed certificates kept for reuse (least recently used dropped first). Default 65 536. */
  maxEntries?: number | undefined;
}

export class CertificatePool implements IssuerChecks {
  readonly #byFingerprint = new Map<string, ParsedCertificate>();
  readonly #maxEntries: number;
  /** child -> issuer fingerprint -> result. Weak in the child, so the memo dies with the certificate. */
  readonly #issuerMemo = new WeakMap<ParsedCertificate, Map<string, IssueCheck>>();

  constructor(options: CertificatePoolOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 65_536);
  }

  /** Certificates currently cached. */
  get size(): number {
    return this.#byFingerprint.size;
  }

  /** Parses a DER certificate, or returns the cached parse of the same bytes. Throws on malformed DER. */
  parse(der: Uint8Array): ParsedCertificate {
    const fingerprint = createHash('sha256').update(der).digest('hex');
    const cached = this.#lookup(fingerprint);
    if (cached) return cached;
    // Copy: the caller may reuse its buffer, and the fingerprint must keep describing these bytes.
    const own = Buffer.from(der);
    return this.#insert(buildParsed(own, new X509Certificate(own), fingerprint));
  }

  /** Wraps an already-parsed certificate (a TLS peer certificate), sharing the cache with `parse`. */
  fromX509(x509: X509Certificate): ParsedCertificate {
    const der = x509.raw;
    const fingerprint = createHash('sha256').update(der).digest('hex');
    return this.#lookup(fingerprint) ?? this.#insert(buildParsed(der, x509, fingerprint));
  }

  /** Parses every CERTIFICATE block of a PEM bundle, in order. */
  parsePem(pem: string): ParsedCertificate[] {
    const out: ParsedCertificate[] = [];
    const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
    for (let m = re.exec(pem); m !== null; m = re.exec(pem)) {
      out.push(this.parse(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
    }
    return out;
  }

  /**
   * Could `issuer` have issued `child`? OpenSSL 3.0's ossl_x509_likely_issued, the test its path building uses:
   * child's issuer name = issuer's subject name, child's AKI keyIdentifier = issuer's SKI (when both are present),
   * and child's signature algorithm fits the issuer's key type. No signature check. Not `x509.checkIssued`: that
   * is X509_check_issued, which also rejects an issuer whose keyUsage lacks keyCertSign, so a chain through a
   * non-CA would end as untrusted_root where OpenSSL builds it and reports the bad CA (wrong_purpose here).
   */
  isIssuerCandidate(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
    return likelyIssued(child, issuer);
  }

  /** Did `issuer` issue `child`: `isIssuerCandidate`, then the signature under the issuer's key. Memoised. */
  issuedBy(child: ParsedCertificate, issuer: ParsedCertificate): IssueCheck {
    const memo = this.#memoFor(child);
    let entry = memo.get(issuer.fingerprint);
    if (entry !== undefined) return entry;
    if (!likelyIssued(child, issuer)) {
      entry = 'name_mismatch';
    } else {
      let good: boolean;
      try {
        good = child.x509.verify(issuer.publicKey);
      } catch {
        // A key-type mismatch (an RSA key against an ECDSA signature) throws instead of returning false.
        good = false;
      }
      entry = good ? 'ok' : 'bad_signature';
    }
    memo.set(issuer.fingerprint, entry);
    return entry;
  }

  #memoFor(child: ParsedCertificate): Map<string, IssueCheck> {
    let memo = this.#issuerMemo.get(child);
    if (!memo) {
      memo = new Map();
      this.#issuerMemo.set(child, memo);
    }
    return memo;
  }

  #lookup(fingerprint: string): ParsedCertificate | undefined {
    const hit = this.#byFingerprint.get(fingerprint);
    if (hit) {
      // Refresh its place in the eviction order.
      this.#byFingerprint.delete(fingerprint);
      this.#byFingerprint.set(fingerprint, hit);
    }
    return hit;
  }

  #insert(parsed: ParsedCertificate): ParsedCertificate {
    this.#byFingerprint.set(parsed.fingerprint, parsed);
    if (this.#byFingerprint.size > this.#maxEntries) {
      const oldest = this.#byFingerprint.keys().next().value;
      if (oldest !== undefined) this.#byFingerprint.delete(oldest);
    }
    return parsed;
  }
}


function buildParsed(der: Buffer, x509: X509Certificate, fingerprint: string): ParsedCertificate {
  const publicKey: KeyObject = x509.publicKey;
  const ext = readStructure(der);
  // The SubjectPublicKeyInfo bytes as the certificate holds them; exporting the KeyObject gives the same DER but
  // costs more than parsing the whole certificate (OpenSSL 3.0 sets up an encoder each time).
  const spki = ext.spkiDer ?? publicKey.export({ type: 'spki', format: 'der' });
  const notBefore = Date.parse(x509.validFrom);
  const notAfter = Date.parse(x509.validTo);
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) {
    throw new RangeError(`unparseable validity "${x509.validFrom}" / "${x509.validTo}"`);
  }
  const parsed: ParsedCertificate = {
    der,
    x509,
    fingerprint,
    spkiFingerprint: createHash('sha256').update(spki).digest('hex'),
    subject: x509.subject,
    issuer: x509.issuer,
    // The DER INTEGER content, as sim/pki's IssuedCertificate.serialHex (Node's serialNumber drops a 00 pad byte).
    serialHex: ext.serialHex ?? x509.serialNumber.toLowerCase(),
    notBefore,
    notAfter,
    isCA: x509.ca,
    selfIssued: nameKey(x509.subject) === nameKey(x509.issuer),
    selfSigned: false,
    identity: ext.identity,
    // The one CN when the subject names one identity; otherwise the whole subject, so a report never shows one CN
    // of several as if it were the certificate's name.
    label: ext.identity.kind === 'one' ? ext.identity.commonName : x509.subject.replace(/\n/g, ', '),
    publicKey,
    extKeyUsage: x509.keyUsage ?? undefined,
    keyUsage: ext.keyUsage,
    pathLength: ext.pathLength,
    subjectKey: nameKey(x509.subject),
    issuerKey: nameKey(x509.issuer),
    subjectKeyId: ext.subjectKeyId,
    authorityKeyId: ext.authorityKeyId,
    signatureKeyType: ext.signatureKeyType,
    structureRead: ext.structureRead,
  };
  // OpenSSL's EXFLAG_SS: self-issued, and its own AKI/signature algorithm fit its own key.
  return { ...parsed, selfSigned: likelyIssued(parsed, parsed) };
}

/** ossl_x509_likely_issued: names, AKI keyIdentifier vs SKI, signature algorithm vs key type. */
function likelyIssued(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!child.structureRead || !issuer.structureRead) return child.x509.checkIssued(issuer.x509);
  if (child.issuerKey !== issuer.subjectKey) return false;
  if (child.authorityKeyId !== undefined && issuer.subjectKeyId !== undefined && child.authorityKeyId !== issuer.subjectKeyId) {
    return false;
  }
  const wanted = child.signatureKeyType;
  const have = issuer.publicKey.asymmetricKeyType;
  if (wanted !== undefined && have !== undefined && wanted !== have && !(wanted === 'rsa' && have === 'rsa-pss')) return false;
  return true;
}

/**
 * A comparison key for a printed name: OpenSSL compares names in a canonical form (case folded, spaces collapsed),
 * so the key does too. It only narrows candidates; `checkIssued` decides.
 */
export function nameKey(printed: string): string {
  return printed.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** keyUsage bit i (RFC 5280 4.2.1.3 numbering: 0 digitalSignature ... 5 keyCertSign) is `1 << i`. */
export const KEY_USAGE = {
  digitalSignature: 1 << 0,
  keyEncipherment: 1 << 2,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
} as const;

/** Signature algorithm OID -> the key type (`KeyObject.asymmetricKeyType`) that can verify it. */
const SIGNATURE_KEY_TYPES: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.1': 'ec',
  '1.2.840.10045.4.3.1': 'ec',
  '1.2.840.10045.4.3.2': 'ec',
  '1.2.840.10045.4.3.3': 'ec',
  '1.2.840.10045.4.3.4': 'ec',
  '1.2.840.113549.1.1.5': 'rsa',
  '1.2.840.113549.1.1.11': 'rsa',
  '1.2.840.113549.1.1.12': 'rsa',
  '1.2.840.113549.1.1.13': 'rsa',
  '1.2.840.113549.1.1.10': 'rsa-pss',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
};

interface Structure {
  structureRead: boolean;
  identity: NameIdentity;
  spkiDer: Buffer | undefined;
  serialHex: string | undefined;
  keyUsage: number | undefined;
  pathLength: number | undefined;
  subjectKeyId: string | undefined;
  authorityKeyId: string | undefined;
  signatureKeyType: string | undefined;
}

/** What Node's X509Certificate does not expose: keyUsage bits, pathLenConstraint, key identifiers, signature alg. */
function readStructure(der: Buffer): Structure {
  let fields: CertificateFields;
  try {
    fields = readCertificate(der);
  } catch {
    // Node parsed it but the strict PKI reader did not: fall back to checkIssued and read no constraints.
    return {
      structureRead: false,
      identity: { kind: 'ambiguous', problem: 'certfleet cannot read the certificate\'s subject' },
      spkiDer: undefined,
      serialHex: undefined,
      keyUsage: undefined,
      pathLength: undefined,
      subjectKeyId: undefined,
      authorityKeyId: undefined,
      signatureKeyType: undefined,
    };
  }
  const ku = fields.extensions.get(EXTENSION_OIDS.keyUsage)?.value;
  let keyUsage: number | undefined;
  // KeyUsage ::= BIT STRING (at most 9 named bits: tag, short length, unused-bit count, then the bits MSB first).
  if (ku && ku[0] === 0x03 && ku.length >= 3 && ku.length <= 6) {
    keyUsage = 0;
    for (let i = 3, bit = 0; i < ku.length; i++) {
      const byte = ku[i] as number;
      for (let b = 7; b >= 0; b--, bit++) if (byte & (1 << b)) keyUsage |= 1 << bit;
    }
  }
  return {
    structureRead: true,
    identity: subjectIdentity(fields.subjectDer),
    spkiDer: fields.spkiDer,
    serialHex: fields.serial.toString('hex'),
    keyUsage,
    pathLength: certificateBasicConstraints(fields).pathLength,
    subjectKeyId: certificateSubjectKeyId(fields)?.toString('hex'),
    authorityKeyId: authorityKeyIdOf(fields.extensions.get(EXTENSION_OIDS.authorityKeyIdentifier)?.value),
    signatureKeyType: SIGNATURE_KEY_TYPES[fields.signatureAlgorithmOid],
  };
}

/** The identity the subject names (sim/pki's `nameIdentity`, as the CA reads a CSR's); a malformed Name has none. */
function subjectIdentity(subjectDer: Buffer): NameIdentity {
  try {
    return nameIdentity(subjectDer);
  } catch (error) {
    return { kind: 'ambiguous', problem: `unreadable subject (${(error as Error).message})` };
  }
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... } (RFC 5280 4.2.1.1). */
function authorityKeyIdOf(value: Buffer | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const keyId = readChildren(readSingle(value, 'authorityKeyIdentifier'), 'authorityKeyIdentifier').find((c) => c.tag === 0x80);
    return keyId?.content.toString('hex');
  } catch {
    return undefined;
  }
}
