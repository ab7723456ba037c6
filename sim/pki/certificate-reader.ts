/**
 * Reads the parts of an X.509 certificate (RFC 5280 4.1) the CA needs from a certificate it did not build
 * itself: exact subject and issuer bytes, the SubjectPublicKeyInfo, validity and extensions.
 * It checks structure, not signatures; all Buffers are slices of the input.
 */
import { DerError, decodeBitString, decodeOid, decodeSmallInteger, decodeTime, expectTag, integerContent, readChildren, readSingle, type Tlv } from './der-reader.js';
import { EXTENSION_OIDS, readBasicConstraints, readExtensions, readSubjectKeyIdentifier, type ParsedExtension } from './extensions.js';

export interface CertificateFields {
  /** The TBSCertificate DER: what the signature covers. */
  tbsDer: Buffer;
  /** 0 for v1, 2 for v3 (RFC 5280 4.1.2.1). */
  version: number;
  /** The serialNumber INTEGER content octets (RFC 5280 4.1.2.2). */
  serial: Buffer;
  signatureAlgorithmOid: string;
  issuerDer: Buffer;
  subjectDer: Buffer;
  spkiDer: Buffer;
  notBefore: number;
  notAfter: number;
  /** Tags of the two Time values: 0x17 UTCTime or 0x18 GeneralizedTime (RFC 5280 4.1.2.5). */
  validityTags: [number, number];
  extensions: Map<string, ParsedExtension>;
  signature: Buffer;
}

/** Parses a DER certificate; throws a `DerError` saying what was wrong when it is malformed. */
export function readCertificate(der: Buffer): CertificateFields {
  const [tbs, sigAlg, sigValue, extra] = readChildren(expectTag(readSingle(der, 'Certificate'), 0x30, 'Certificate'), 'Certificate');
  if (extra) throw new DerError('Certificate: more than three fields');
  const tbsEl = expectTag(tbs, 0x30, 'TBSCertificate');
  const fields = readChildren(tbsEl, 'TBSCertificate');
  let i = 0;
  let version = 0;
  // RFC 5280 4.1.2.1: version [0] EXPLICIT Version DEFAULT v1.
  if (fields[0]?.tag === 0xa0) {
    const [v] = readChildren(fields[0], 'version');
    version = decodeSmallInteger(expectTag(v, 0x02, 'version'), 'version');
    i = 1;
  }
  const serial = integerContent(expectTag(fields[i], 0x02, 'serialNumber'), 'serialNumber');
  expectTag(fields[i + 1], 0x30, 'TBSCertificate signature');
  const issuer = expectTag(fields[i + 2], 0x30, 'issuer');
  const [nb, na] = readChildren(expectTag(fields[i + 3], 0x30, 'validity'), 'validity');
  const subject = expectTag(fields[i + 4], 0x30, 'subject');
  const spki = expectTag(fields[i + 5], 0x30, 'subjectPublicKeyInfo');
  if (!nb || !na) throw new DerError('validity: needs notBefore and notAfter');
  let extensions = new Map<string, ParsedExtension>();
  for (const f of fields.slice(i + 6)) {
    // RFC 5280 4.1.2.9: extensions [3] EXPLICIT; unique identifiers [1]/[2] are skipped.
    if (f.tag === 0xa3) extensions = readExtensions(expectTag(readChildren(f, 'extensions')[0], 0x30, 'Extensions').raw);
    else if (f.tag !== 0x81 && f.tag !== 0x82) throw new DerError(`TBSCertificate: unexpected field tag 0x${f.tag.toString(16)}`);
  }
  return {
    tbsDer: tbsEl.raw,
    version,
    serial,
    signatureAlgorithmOid: algorithmOid(sigAlg),
    issuerDer: issuer.raw,
    subjectDer: subject.raw,
    spkiDer: spki.raw,
    notBefore: decodeTime(nb, 'notBefore'),
    notAfter: decodeTime(na, 'notAfter'),
    validityTags: [nb.tag, na.tag],
    extensions,
    signature: decodeBitString(expectTag(sigValue, 0x03, 'signatureValue'), 'signatureValue').bytes,
  };
}

/** The OID of an AlgorithmIdentifier SEQUENCE. */
export function algorithmOid(el: Tlv | undefined): string {
  const [id] = readChildren(expectTag(el, 0x30, 'AlgorithmIdentifier'), 'AlgorithmIdentifier');
  return decodeOid(expectTag(id, 0x06, 'algorithm'), 'algorithm');
}

/** The subjectKeyIdentifier of a parsed certificate, when it has one. */
export function certificateSubjectKeyId(cert: CertificateFields): Buffer | undefined {
  const ext = cert.extensions.get(EXTENSION_OIDS.subjectKeyIdentifier);
  return ext ? readSubjectKeyIdentifier(ext.value) : undefined;
}

/** The basicConstraints of a parsed certificate; absent means not a CA (RFC 5280 4.2.1.9). */
export function certificateBasicConstraints(cert: CertificateFields): { ca: boolean; pathLength: number | undefined } {
  const ext = cert.extensions.get(EXTENSION_OIDS.basicConstraints);
  return ext ? readBasicConstraints(ext.value) : { ca: false, pathLength: undefined };
}
