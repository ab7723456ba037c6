import type { KeyObject, X509Certificate } from 'node:crypto';
import type { Cause } from '../causes.js';
import type { NameIdentity } from '../pki/index.js';

/** A certificate parsed once and shared: parsing costs more than a signature check, so nothing parses twice. */
export interface ParsedCertificate {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  /** SHA-256 of the DER, lower-case hex: the identity of this exact certificate. */
  readonly fingerprint: string;
  /** SHA-256 of the SubjectPublicKeyInfo DER: the same key under two certificates (cross-signs) shares it. */
  readonly spkiFingerprint: string;
  readonly subject: string;
  readonly issuer: string;
  /** The serialNumber INTEGER content, lower-case hex (pad byte kept), as sim/pki's IssuedCertificate.serialHex. */
  readonly serialHex: string;
  /** Validity bounds in ms since the Unix epoch; both inclusive (RFC 5280 4.1.2.5). */
  readonly notBefore: number;
  readonly notAfter: number;
  /** basicConstraints cA. */
  readonly isCA: boolean;
  /** Subject and issuer names are equal. */
  readonly selfIssued: boolean;
  /** Self-issued, its AKI (if any) names its own SKI and its signature algorithm fits its key: OpenSSL's EXFLAG_SS. */
  readonly selfSigned: boolean;
  /**
   * The identity the subject names, read by sim/pki's `nameIdentity` (the CA's reader): exactly one CN, none, or no
   * single one (several CNs, an empty CN, one of another string type). Who a device certificate is.
   */
  readonly identity: NameIdentity;
  /** A short human label for reports: the subject's one CN when it has one, else the whole subject. */
  readonly label: string;
  /** The subject public key, built once (`x509.publicKey` builds a new KeyObject on every read). */
  readonly publicKey: KeyObject;
  /** extKeyUsage OIDs; undefined when the extension is absent (any purpose, as OpenSSL). */
  readonly extKeyUsage: readonly string[] | undefined;
  /** keyUsage bits, bit i = RFC 5280 4.2.1.3 bit i; undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  /** basicConstraints pathLenConstraint; undefined when absent. */
  readonly pathLength: number | undefined;
  /** Case-folded subject and issuer names, to narrow issuer candidates before `checkIssued`. */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** subjectKeyIdentifier / authorityKeyIdentifier keyIdentifier, lower-case hex; undefined when absent. */
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  /** The key type (`KeyObject.asymmetricKeyType`) the signature algorithm needs; undefined when unknown. */
  readonly signatureKeyType: string | undefined;
  /** false when certfleet's strict DER reader could not read the certificate: issuer checks fall back to
   *  `x509.checkIssued` and keyUsage/pathLength read as absent. */
  readonly structureRead: boolean;
}

/** `checkIssued` failed / it matched but the issuer's key did not sign / both matched. */
export type IssueCheck = 'ok' | 'name_mismatch' | 'bad_signature';

/** The memoised issuer checks the path builder and the verifier use (a `CertificatePool`). */
export interface IssuerChecks {
  isIssuerCandidate(child: ParsedCertificate, issuer: ParsedCertificate): boolean;
  issuedBy(child: ParsedCertificate, issuer: ParsedCertificate): IssueCheck;
}

export type PathBuilding = 'trusted-first' | 'untrusted-first';
export type AnchorExpiry = 'enforce' | 'ignore';
export type Purpose = 'serverAuth' | 'clientAuth';

export interface VerifyPolicy {
  /** trusted-first: OpenSSL >= 1.1.0 looks for an issuer in the trust store before the peer's chain.
   *  untrusted-first: OpenSSL <= 1.0.2 follows the peer's chain as far as it goes, then looks in the store. */
  pathBuilding: PathBuilding;
  /** enforce: an anchor past notAfter fails the chain (OpenSSL); ignore: anchors carry no validity (Android). */
  anchorExpiry: AnchorExpiry;
}

export interface VerifyInput {
  leaf: ParsedCertificate;
  /** The other certificates the peer presented, in the order presented; untrusted. */
  presented: readonly ParsedCertificate[];
  anchors: readonly ParsedCertificate[];
  /** The judge's clock reading, ms since the Unix epoch. */
  at: number;
  /** True (scenario) time of the judgement, for clock attribution. Defaults to `at`. */
  trueTime?: number | undefined;
  policy: VerifyPolicy;
  /** Required extKeyUsage of the leaf, when the judge checks it. */
  purpose?: Purpose | undefined;
  /** Device side: the host it dialled ("localhost" or "127.0.0.1"). */
  hostname?: string | undefined;
  /** Pinned fingerprints (certificate or SPKI SHA-256, hex); at least one must match a certificate on the built
   *  path, anchor included (OkHttp-style pinning of the validated chain). Empty or absent: no pinning. */
  pins?: readonly string[] | undefined;
  /** Revocation lookup at the judge's clock: is `cert` revoked by `issuer` at time `at`? */
  isRevoked?: ((cert: ParsedCertificate, issuer: ParsedCertificate, at: number) => boolean) | undefined;
  /** Memoised issuer checks: the judge's `CertificatePool` (one per thread of judges, passed, never global). */
  pool: IssuerChecks;
}

export type PathRole = 'leaf' | 'intermediate' | 'anchor';

export interface Verdict {
  /** The precise cause, clock-attributed where the clock decided. */
  cause: Cause;
  /** What the certificate checks alone said, before clock attribution and path comparison. */
  certificateCause: Cause;
  /** The path built, leaf first, anchor last (when one was reached). */
  path: ParsedCertificate[];
  /** The certificate whose check decided a failure. */
  failed?: { depth: number; role: PathRole; certificate: ParsedCertificate } | undefined;
  /** Judge clock minus true time, ms: negative when the clock is behind. */
  clockSkewMs: number;
}
