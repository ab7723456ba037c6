/**
 * A local certificate authority: its certificate plus its private key.
 *
 * Children get issuer = the exact subject DER of the CA certificate (RFC 5280 4.1.2.4: issuer and subject are
 * matched as names, so byte equality is the safe choice) and AKI keyIdentifier = the CA's SKI (4.2.1.1).
 * Nothing here clamps a child's validity to the CA's or checks that the key matches the certificate: the
 * simulator builds broken chains (expired intermediates, forged signatures) on purpose.
 */
import type { KeyObject } from 'node:crypto';
import { randomSerial, serialContent, serialFromHex, signCertificate } from './certificate-builder.js';
import { certificateBasicConstraints, certificateSubjectKeyId, readCertificate } from './certificate-reader.js';
import { signCrl } from './crl.js';
import { expectTag, readSingle } from './der-reader.js';
import { parseCsr, type ParsedCsr } from './csr.js';
import { authorityKeyIdentifier, crlNumber, profileExtensions, subjectAltName, subjectKeyIdentifier, type SubjectAltNames } from './extensions.js';
import { keyKind, signatureAlgorithmFor, spkiDer, subjectKeyIdentifierOf } from './key-pair.js';
import { csrKeyRefusal } from './key-strength.js';
import { encodeName } from './names.js';
import { toPem } from './pem.js';
import type { CertificateProfile, DistinguishedName, IssuedCertificate, IssueRequest, KeyPair } from './types.js';

export interface CertificateAuthorityOptions {
  certificateDer: Buffer;
  privateKey: KeyObject;
  /** Serial source for certificates issued without an explicit serial (e.g. seeded); random 16 octets otherwise. */
  serials?: (() => Buffer) | undefined;
}

export interface SelfSignedOptions {
  /** A name object, or the exact DER of a Name (a stand-in copies a real root's subject byte for byte). */
  subject: DistinguishedName | Buffer;
  keyPair: KeyPair;
  notBefore: number;
  notAfter: number;
  pathLength?: number | undefined;
  serial?: Buffer | undefined;
  serials?: (() => Buffer) | undefined;
}

export interface CrossSignOptions {
  notBefore: number;
  notAfter: number;
  serial?: Buffer | undefined;
  /** Defaults to the target's own pathLenConstraint. */
  pathLength?: number | undefined;
}

export interface SignCsrOptions {
  notBefore: number;
  notAfter: number;
  profile: 'device' | 'server';
  /** When set, the CSR subject's one CN must equal it (the issued subject is CN = this either way). */
  expectedCommonName?: string | undefined;
  subjectAltNames?: SubjectAltNames | undefined;
  serial?: Buffer | undefined;
}

/**
 * Why the CA refused a CSR: DER it cannot read, a key below its minimum strength (`weak_key`) or of a type it does
 * not certify, a signature the CSR's own key does not verify, a subject that names no single identity (several CNs,
 * or an empty CN or one of another string type), or a CN other than the one expected.
 */
export type CsrRejection = 'malformed_csr' | 'weak_key' | 'unsupported_key' | 'bad_csr_signature' | 'ambiguous_identity' | 'subject_mismatch';

export type SignCsrResult =
  | { ok: true; certificate: IssuedCertificate }
  | { ok: false; reason: CsrRejection; /** Human-readable detail for logs. */ detail: string };

export interface CreateCrlOptions {
  thisUpdate: number;
  nextUpdate: number;
  revoked: readonly { serialHex: string; revokedAt: number }[];
  /** RFC 5280 5.2.3: monotonically increasing; defaults to one more than the last CRL this CA made (from 1). */
  crlNumber?: number | undefined;
}

interface IssueParts {
  subjectDer: Buffer;
  spkiDer: Buffer;
  subjectKeyKind: 'ec' | 'rsa';
  profile: CertificateProfile;
  notBefore: number;
  notAfter: number;
  serial?: Buffer | undefined;
  pathLength?: number | undefined;
  subjectAltNames?: SubjectAltNames | undefined;
  subjectKeyId?: Buffer | undefined;
}

export class CertificateAuthority {
  readonly #certificateDer: Buffer;
  readonly #privateKey: KeyObject;
  readonly #subjectDer: Buffer;
  readonly #subjectKeyId: Buffer;
  readonly #signatureAlgorithm: Buffer;
  readonly #authorityKeyId: Buffer;
  readonly #serials: () => Buffer;
  #certificatePem: string | undefined;
  #nextCrlNumber = 1;

  constructor(opts: CertificateAuthorityOptions) {
    this.#certificateDer = Buffer.from(opts.certificateDer);
    const cert = readCertificate(this.#certificateDer);
    this.#privateKey = opts.privateKey;
    this.#subjectDer = Buffer.from(cert.subjectDer);
    // RFC 5280 4.2.1.1: children's AKI is this CA's SKI as its certificate states it; computed when absent.
    this.#subjectKeyId = Buffer.from(certificateSubjectKeyId(cert) ?? subjectKeyIdentifierOf(cert.spkiDer));
    this.#signatureAlgorithm = signatureAlgorithmFor(opts.privateKey);
    this.#authorityKeyId = authorityKeyIdentifier(this.#subjectKeyId);
    this.#serials = opts.serials ?? randomSerial;
  }

  /** A self-signed root CA (profile root-ca): issuer = subject, no AKI (RFC 5280 4.2.1.1 exception). */
  static selfSigned(opts: SelfSignedOptions): CertificateAuthority {
    const subjectDer = subjectNameDer(opts.subject);
    const spki = spkiDer(opts.keyPair.publicKey);
    const { der } = signCertificate(
      {
        serial: serialContent(opts.serial ?? opts.serials?.() ?? randomSerial()),
        signatureAlgorithm: signatureAlgorithmFor(opts.keyPair.privateKey),
        issuerDer: subjectDer,
        subjectDer,
        spkiDer: spki,
        notBefore: opts.notBefore,
        notAfter: opts.notAfter,
        extensions: [...profileExtensions('root-ca', keyKind(opts.keyPair.publicKey), opts.pathLength), subjectKeyIdentifier(subjectKeyIdentifierOf(spki))],
      },
      opts.keyPair.privateKey,
    );
    return new CertificateAuthority({ certificateDer: der, privateKey: opts.keyPair.privateKey, serials: opts.serials });
  }

  get certificateDer(): Buffer {
    return this.#certificateDer;
  }

  get certificatePem(): string {
    return (this.#certificatePem ??= toPem(this.#certificateDer, 'CERTIFICATE'));
  }

  /** The exact subject Name DER of the CA certificate: the issuer of everything this CA signs. */
  get subjectDer(): Buffer {
    return this.#subjectDer;
  }

  get subjectKeyId(): Buffer {
    return this.#subjectKeyId;
  }

  get privateKey(): KeyObject {
    return this.#privateKey;
  }

  /** Issues a v3 certificate for `request.publicKey` under `request.profile`. */
  issue(request: IssueRequest): IssuedCertificate {
    return this.#issue({
      subjectDer: subjectNameDer(request.subject),
      spkiDer: spkiDer(request.publicKey),
      subjectKeyKind: keyKind(request.publicKey),
      profile: request.profile,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      serial: request.serial,
      pathLength: request.pathLength,
      subjectAltNames: request.subjectAltNames,
    });
  }

  /**
   * Cross-signs another CA's certificate: same subject bytes, same SubjectPublicKeyInfo bytes and same SKI as the
   * target, issued (and AKI-linked) by this CA, so paths through either issuer reach the same key.
   */
  crossSign(target: { certificateDer: Buffer }, opts: CrossSignOptions): IssuedCertificate {
    const cert = readCertificate(target.certificateDer);
    const constraints = certificateBasicConstraints(cert);
    if (!constraints.ca) throw new Error('crossSign: the target certificate is not a CA (basicConstraints cA is not TRUE)');
    return this.#issue({
      subjectDer: cert.subjectDer,
      spkiDer: cert.spkiDer,
      subjectKeyKind: 'ec', // unused for CA profiles
      profile: 'intermediate-ca',
      notBefore: opts.notBefore,
      notAfter: opts.notAfter,
      serial: opts.serial,
      pathLength: opts.pathLength ?? constraints.pathLength,
      subjectKeyId: certificateSubjectKeyId(cert) ?? subjectKeyIdentifierOf(cert.spkiDer),
    });
  }

  /**
   * Verifies a PKCS#10 CSR and issues a leaf under `opts.profile` for its key. The CA decides everything else: the
   * subject is built here as CN = the CSR's one identity (nothing else of the CSR's subject is copied), and the
   * extensions are the profile's plus `opts.subjectAltNames`; the CSR's extensionRequest (RFC 2985 5.4.2: SANs,
   * basicConstraints, keyUsage, extKeyUsage) is never read. Refuses, in this order: DER that does not parse, a
   * weak or unsupported key, a signature its own key does not verify (RFC 2986 3), a subject without exactly one
   * CN, and a CN other than `expectedCommonName`.
   */
  signCsr(csrDer: Buffer, opts: SignCsrOptions): SignCsrResult {
    let csr: ParsedCsr;
    try {
      csr = parseCsr(csrDer);
    } catch (err) {
      return { ok: false, reason: 'malformed_csr', detail: (err as Error).message };
    }
    const weak = csrKeyRefusal(csr.publicKey);
    if (weak) return { ok: false, reason: weak.reason, detail: `the CSR carries ${weak.detail}` };
    if (!csr.signatureValid) return { ok: false, reason: 'bad_csr_signature', detail: 'the CSR signature does not verify with its own public key' };
    const identity = csr.identity;
    if (identity.kind === 'ambiguous') return { ok: false, reason: 'ambiguous_identity', detail: `the CSR subject names no single identity: ${identity.problem}` };
    const cn = identity.kind === 'one' ? identity.commonName : undefined;
    if (cn === undefined || (opts.expectedCommonName !== undefined && cn !== opts.expectedCommonName)) {
      const expected = opts.expectedCommonName === undefined ? 'one' : JSON.stringify(opts.expectedCommonName);
      return { ok: false, reason: 'subject_mismatch', detail: `CSR CN ${JSON.stringify(cn ?? null)}, expected ${expected}` };
    }
    const certificate = this.#issue({
      subjectDer: encodeName({ CN: cn }),
      spkiDer: spkiDer(csr.publicKey),
      subjectKeyKind: keyKind(csr.publicKey),
      profile: opts.profile,
      notBefore: opts.notBefore,
      notAfter: opts.notAfter,
      serial: opts.serial,
      subjectAltNames: opts.subjectAltNames,
    });
    return { ok: true, certificate };
  }

  /** A signed X.509 v2 CRL (RFC 5280 5.1) with authorityKeyIdentifier and cRLNumber. */
  createCrl(opts: CreateCrlOptions): Buffer {
    const number = opts.crlNumber ?? this.#nextCrlNumber;
    this.#nextCrlNumber = Math.max(this.#nextCrlNumber, number + 1);
    return signCrl(
      {
        signatureAlgorithm: this.#signatureAlgorithm,
        issuerDer: this.#subjectDer,
        thisUpdate: opts.thisUpdate,
        nextUpdate: opts.nextUpdate,
        revoked: opts.revoked.map((r) => ({ serial: serialFromHex(r.serialHex), revokedAt: r.revokedAt })),
        extensions: [this.#authorityKeyId, crlNumber(number)],
      },
      this.#privateKey,
    );
  }

  #issue(p: IssueParts): IssuedCertificate {
    const extensions = [
      ...profileExtensions(p.profile, p.subjectKeyKind, p.pathLength),
      subjectKeyIdentifier(p.subjectKeyId ?? subjectKeyIdentifierOf(p.spkiDer)),
      this.#authorityKeyId,
    ];
    const san = p.subjectAltNames;
    if (san && ((san.dns?.length ?? 0) > 0 || (san.ip?.length ?? 0) > 0)) extensions.push(subjectAltName(san));
    return signCertificate(
      {
        serial: serialContent(p.serial ?? this.#serials()),
        signatureAlgorithm: this.#signatureAlgorithm,
        issuerDer: this.#subjectDer,
        subjectDer: p.subjectDer,
        spkiDer: p.spkiDer,
        notBefore: p.notBefore,
        notAfter: p.notAfter,
        extensions,
      },
      this.#privateKey,
    );
  }
}

/** The DER of a subject Name: encoded from a name object, or checked to be one DER Name and used as it is. */
function subjectNameDer(subject: DistinguishedName | Buffer): Buffer {
  return Buffer.isBuffer(subject) ? expectTag(readSingle(subject, 'subject Name'), 0x30, 'subject Name').raw : encodeName(subject);
}
