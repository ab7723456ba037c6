/** The PKI module: the only place in certfleet that builds certificates, CSRs and CRLs. */
export type { CertificateProfile, DistinguishedName, IssuedCertificate, IssueRequest, KeyAlgorithm, KeyPair } from './types.js';
export {
  CertificateAuthority,
  type CertificateAuthorityOptions,
  type CreateCrlOptions,
  type CrossSignOptions,
  type CsrRejection,
  type SelfSignedOptions,
  type SignCsrOptions,
  type SignCsrResult,
} from './certificate-authority.js';
export { readCertificate, certificateBasicConstraints, certificateSubjectKeyId, type CertificateFields } from './certificate-reader.js';
export { randomSerial, serialContent, serialFromHex } from './certificate-builder.js';
export { createCsr, parseCsr, type ParsedCsr } from './csr.js';
export { DerError } from './der-reader.js';
export { EKU_OIDS, EXTENSION_OIDS, type SubjectAltNames } from './extensions.js';
export { generateKeyPair, keyAlgorithmOf, spkiDer, subjectKeyIdentifierOf, SIGNATURE_OIDS } from './key-pair.js';
export { decodeName, encodeName, nameIdentity, readCommonName, type NameIdentity } from './names.js';
export { csrKeyRefusal, MIN_RSA_BITS, type KeyRefusal } from './key-strength.js';
export { pemBlocks, pemToDer, toPem } from './pem.js';
export { csrFromPem, csrFromText } from './csr-text.js';
