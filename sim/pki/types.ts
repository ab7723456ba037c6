import type { KeyObject } from 'node:crypto';

/** Key algorithms a certificate or device key can use. EC P-256 is the default everywhere. */
/** EC P-256 by default; RSA-2048 as an option; RSA-1024 only to build the weak keys the key-quality audit finds. */
export type KeyAlgorithm = 'ec-p256' | 'rsa-2048' | 'rsa-1024';

/**
 * A distinguished name in the fixed attribute order C, O, OU, CN (RFC 5280 4.1.2.4).
 * Names are compared as DER bytes, so the same object always encodes to the same bytes.
 */
export interface DistinguishedName {
  CN: string;
  O?: string | undefined;
  OU?: string | undefined;
  C?: string | undefined;
}

/** What a certificate is for; decides basicConstraints, keyUsage and extKeyUsage. */
export type CertificateProfile = 'root-ca' | 'intermediate-ca' | 'server' | 'device';

export interface KeyPair {
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Everything the CA needs to issue one certificate. Times are milliseconds since the Unix epoch (true time). */
export interface IssueRequest {
  /** A name object, or the exact DER of a Name (used by cross-signing to copy a subject byte for byte). */
  subject: DistinguishedName | Buffer;
  publicKey: KeyObject;
  profile: CertificateProfile;
  notBefore: number;
  notAfter: number;
  /** Positive, at most 20 octets (RFC 5280 4.1.2.2). Random when omitted. */
  serial?: Buffer | undefined;
  /** basicConstraints pathLenConstraint for CA profiles. */
  pathLength?: number | undefined;
  subjectAltNames?: { dns?: string[] | undefined; ip?: string[] | undefined } | undefined;
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  /** Lower-case hex without leading zeros stripped, as in the DER INTEGER content. */
  serialHex: string;
}
