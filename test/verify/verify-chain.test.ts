import { describe, expect, test } from 'vitest';
import { CertificateAuthority, generateKeyPair } from '../../sim/pki/index.js';
import type { Cause } from '../../sim/causes.js';
import { ALL_CAUSES } from '../../sim/causes.js';
import type { ParsedCertificate, Verdict, VerifyPolicy } from '../../sim/verify/index.js';
import { T, crossSign, forger, intermediate, leaf, opensslVerify, pool, root, verifyWithPool as verifyChainAt } from './fixtures.js';
import type { TestInput as VerifyInput } from './fixtures.js';
import type { OpensslError, OpensslRun } from './fixtures.js';

const TF_ENFORCE: VerifyPolicy = { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' };
const TF_IGNORE: VerifyPolicy = { pathBuilding: 'trusted-first', anchorExpiry: 'ignore' };
const UF_ENFORCE: VerifyPolicy = { pathBuilding: 'untrusted-first', anchorExpiry: 'enforce' };
const UF_IGNORE: VerifyPolicy = { pathBuilding: 'untrusted-first', anchorExpiry: 'ignore' };

const AT = T('2026-06-01T00:00:00Z');

// --- a small PKI: root R -> intermediate I -> server S / device D ---
const R = root('Fleet Root', '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
const I = intermediate(R, 'Fleet Issuing CA', '2024-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
const S = leaf(I, 'broker', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 'server');
const D = leaf(I, 'device-0001', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 'device');
const S_EXPIRED = leaf(I, 'broker-old', '2025-01-01T00:00:00Z', '2026-03-01T00:00:00Z', 'server');
const S_FUTURE = leaf(I, 'broker-next', '2026-07-01T00:00:00Z', '2027-07-01T00:00:00Z', 'server');
const S_REVOKED = leaf(I, 'broker-revoked', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 'server');
const CRL = I.ca.createCrl({
  thisUpdate: T('2026-05-01T00:00:00Z'),
  nextUpdate: T('2026-07-01T00:00:00Z'),
  revoked: [{ serialHex: S_REVOKED.serialHex, revokedAt: T('2026-05-15T00:00:00Z') }],
});
const isRevoked = (cert: ParsedCertificate, issuer: ParsedCertificate): boolean =>
  cert.fingerprint === S_REVOKED.fingerprint && issuer.fingerprint === I.cert.fingerprint;

// an intermediate that expired before AT
const I_EXPIRED = intermediate(R, 'Old Issuing CA', '2024-01-01T00:00:00Z', '2026-05-01T00:00:00Z');
const S_UNDER_EXPIRED_I = leaf(I_EXPIRED, 'broker-2', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');

// a root that expired before AT, with a valid intermediate and leaf under it
const R_OLD = root('Old Root', '2016-01-01T00:00:00Z', '2026-05-01T00:00:00Z');
const I_UNDER_OLD = intermediate(R_OLD, 'Old Root Issuing CA', '2024-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
const S_UNDER_OLD = leaf(I_UNDER_OLD, 'broker-3', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');

// another PKI the judge does not trust
const RX = root('Stranger Root', '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
const IX = intermediate(RX, 'Stranger CA', '2024-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
const SX = leaf(IX, 'broker', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');

// forgeries: right issuer name and AKI, wrong key
const S_FORGED = leaf(forger(I), 'broker', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
const I_FORGED_KEYS = generateKeyPair();
const I_FORGED = (() => {
  const issued = forger(R).ca.issue({
    subject: { CN: 'Forged Issuing CA', O: 'certfleet test' },
    publicKey: I_FORGED_KEYS.publicKey,
    profile: 'intermediate-ca',
    notBefore: T('2024-01-01T00:00:00Z'),
    notAfter: T('2030-01-01T00:00:00Z'),
  });
  return { ca: new CertificateAuthority({ certificateDer: issued.der, privateKey: I_FORGED_KEYS.privateKey }), cert: pool.parse(issued.der), keyPair: I_FORGED_KEYS };
})();
const S_UNDER_FORGED_I = leaf(I_FORGED, 'broker', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
const S_RSA_FORGED = leaf(
  { ca: new CertificateAuthority({ certificateDer: I.ca.certificateDer, privateKey: generateKeyPair('rsa-2048').privateKey }), cert: I.cert, keyPair: I.keyPair },
  'broker',
  '2026-01-01T00:00:00Z',
  '2027-01-01T00:00:00Z',
);

// a device certificate (not a CA, no keyCertSign) used to issue a certificate
const EE_KEYS = generateKeyPair();
const EE = pool.parse(
  I.ca.issue({ subject: { CN: 'device-as-ca' }, publicKey: EE_KEYS.publicKey, profile: 'device', notBefore: T('2026-01-01T00:00:00Z'), notAfter: T('2027-01-01T00:00:00Z') }).der,
);
const UNDER_EE = leaf(
  { ca: new CertificateAuthority({ certificateDer: EE.der, privateKey: EE_KEYS.privateKey }), cert: EE, keyPair: EE_KEYS },
  'broker',
  '2026-01-01T00:00:00Z',
  '2027-01-01T00:00:00Z',
);

// pathLenConstraint 0 with a CA below it
const I_P0 = intermediate(R, 'PathLen0 CA', '2024-01-01T00:00:00Z', '2030-01-01T00:00:00Z', { pathLength: 0 });
const I_SUB = intermediate(I_P0, 'Sub CA', '2024-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
const S_TOO_DEEP = leaf(I_SUB, 'broker', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');

// --- the DST Root CA X3 / ISRG Root X1 replay (domain.md 3.1) ---
const DST = root('DST Root CA X3', '2000-09-30T21:12:19Z', '2021-09-30T14:01:15Z');
const ISRG = root('ISRG Root X1', '2015-06-04T11:04:38Z', '2035-06-04T11:04:38Z');
const ISRG_BY_DST = crossSign(ISRG, DST, '2021-01-20T19:14:03Z', '2024-09-30T18:14:03Z');
const R3 = intermediate(ISRG, 'R3', '2020-09-04T00:00:00Z', '2025-09-15T16:00:00Z');
const LE_LEAF = leaf(R3, 'broker.example', '2021-09-01T00:00:00Z', '2025-09-01T00:00:00Z');
// a cross-sign that is not valid yet when judged
const ISRG_BY_DST_LATER = crossSign(ISRG, DST, '2021-10-15T00:00:00Z', '2024-09-30T18:14:03Z');
const LE_SERVED = [R3.cert, ISRG_BY_DST.cert];
const BOTH_ROOTS = [DST.cert, ISRG.cert];

type OpensslMode =
  /** openssl judges the path certfleet chose; its first error maps to certificateCause (or `opensslCause`). */
  | 'judge'
  /** anchor expiry ignored: openssl's "expired" errors at the anchor's depth are dropped (it continues past them). */
  | 'judge-ignoring-anchor-expiry'
  /** openssl cannot express the policy: the chosen path is checked instead. */
  | 'path-only';

interface Row {
  name: string;
  input: VerifyInput;
  cause: Cause;
  certificateCause?: Cause;
  failedDepth?: number;
  path?: string[];
  openssl: OpensslMode;
  /** What openssl says when it differs from certificateCause for a documented reason (the row name says which). */
  opensslCause?: Cause;
  crls?: Buffer[];
}

const base = (over: Partial<VerifyInput>): VerifyInput => ({
  leaf: S,
  presented: [I.cert],
  anchors: [R.cert],
  at: AT,
  policy: TF_ENFORCE,
  ...over,
});

const rows: Row[] = [
  // ok
  { name: 'a server chain valid at the judge clock is ok', input: base({ purpose: 'serverAuth', hostname: 'localhost' }), cause: 'ok', path: ['broker', 'Fleet Issuing CA', 'Fleet Root'], openssl: 'judge' },
  { name: 'a server dialled by IP literal matches its IP subjectAltName', input: base({ purpose: 'serverAuth', hostname: '127.0.0.1' }), cause: 'ok', openssl: 'judge' },
  { name: 'a device certificate used as a TLS client is ok', input: base({ leaf: D, purpose: 'clientAuth' }), cause: 'ok', openssl: 'judge' },
  { name: 'untrusted-first building follows a complete presented chain to the same root', input: base({ policy: UF_ENFORCE }), cause: 'ok', path: ['broker', 'Fleet Issuing CA', 'Fleet Root'], openssl: 'judge' },
  // untrusted_root
  { name: 'a leaf whose intermediate was not presented has no path and is untrusted_root at the leaf', input: base({ presented: [] }), cause: 'untrusted_root', failedDepth: 0, openssl: 'judge' },
  { name: 'a chain to a root the judge does not hold is untrusted_root at that root', input: base({ leaf: SX, presented: [IX.cert, RX.cert] }), cause: 'untrusted_root', failedDepth: 2, openssl: 'judge' },
  { name: 'a chain from another issuer without its root is untrusted_root at the last presented certificate', input: base({ leaf: SX, presented: [IX.cert] }), cause: 'untrusted_root', failedDepth: 1, openssl: 'judge' },
  { name: 'an empty trust store trusts nothing', input: base({ anchors: [] }), cause: 'untrusted_root', failedDepth: 1, openssl: 'judge' },
  { name: 'untrusted-first building sets aside an unknown presented root and still fails untrusted_root', input: base({ leaf: SX, presented: [IX.cert, RX.cert], policy: UF_ENFORCE }), cause: 'untrusted_root', failedDepth: 2, openssl: 'judge' },
  { name: 'a certificate signed with another key type than its named issuer is not issued by it, as OpenSSL likely_issued decides', input: base({ leaf: S_RSA_FORGED }), cause: 'untrusted_root', failedDepth: 0, openssl: 'judge' },
  // expiry
  { name: 'an expired server certificate is expired_leaf', input: base({ leaf: S_EXPIRED }), cause: 'expired_leaf', failedDepth: 0, openssl: 'judge' },
  { name: 'an expired intermediate is expired_intermediate', input: base({ leaf: S_UNDER_EXPIRED_I, presented: [I_EXPIRED.cert] }), cause: 'expired_intermediate', failedDepth: 1, openssl: 'judge' },
  { name: 'an expired anchor is expired_root when anchor expiry is enforced', input: base({ leaf: S_UNDER_OLD, presented: [I_UNDER_OLD.cert], anchors: [R_OLD.cert] }), cause: 'expired_root', failedDepth: 2, openssl: 'judge' },
  { name: 'an expired anchor is ok when anchor expiry is ignored (openssl with the anchor expiry error dropped)', input: base({ leaf: S_UNDER_OLD, presented: [I_UNDER_OLD.cert], anchors: [R_OLD.cert], policy: TF_IGNORE }), cause: 'ok', openssl: 'judge-ignoring-anchor-expiry' },
  { name: 'a certificate before its notBefore is not_yet_valid', input: base({ leaf: S_FUTURE }), cause: 'not_yet_valid', failedDepth: 0, openssl: 'judge' },
  // clocks
  {
    name: 'a judge clock reset to 1970 makes the anchor look not yet valid: not_yet_valid_clock_behind',
    input: base({ at: T('1970-01-01T00:05:00Z'), trueTime: AT }),
    cause: 'not_yet_valid_clock_behind',
    certificateCause: 'not_yet_valid',
    failedDepth: 2,
    openssl: 'judge',
  },
  {
    name: 'with anchor expiry ignored a 1970 clock fails on the intermediate (openssl cannot ignore the anchor notBefore, path checked)',
    input: base({ at: T('1970-01-01T00:05:00Z'), trueTime: AT, policy: TF_IGNORE }),
    cause: 'not_yet_valid_clock_behind',
    certificateCause: 'not_yet_valid',
    failedDepth: 1,
    path: ['broker', 'Fleet Issuing CA', 'Fleet Root'],
    openssl: 'path-only',
  },
  {
    name: 'a clock running ahead past the leaf notAfter is expired_clock_ahead',
    input: base({ at: T('2027-01-10T00:00:00Z'), trueTime: T('2026-12-20T00:00:00Z') }),
    cause: 'expired_clock_ahead',
    certificateCause: 'expired_leaf',
    failedDepth: 0,
    openssl: 'judge',
  },
  {
    name: 'a clock ahead by less than the time since expiry leaves the cause expired_leaf',
    input: base({ at: T('2027-01-10T00:00:00Z'), trueTime: T('2027-01-05T00:00:00Z') }),
    cause: 'expired_leaf',
    failedDepth: 0,
    openssl: 'judge',
  },
  {
    name: 'a clock behind by less than the gap to notBefore leaves the cause not_yet_valid',
    input: base({ leaf: S_FUTURE, trueTime: T('2026-06-20T00:00:00Z') }),
    cause: 'not_yet_valid',
    failedDepth: 0,
    openssl: 'judge',
  },
  // signatures, purposes, revocation, names, pins
  { name: 'a leaf signed by the wrong key under the right issuer name is bad_signature', input: base({ leaf: S_FORGED }), cause: 'bad_signature', failedDepth: 0, openssl: 'judge' },
  { name: 'an intermediate signed by the wrong key is bad_signature at depth 1', input: base({ leaf: S_UNDER_FORGED_I, presented: [I_FORGED.cert] }), cause: 'bad_signature', failedDepth: 1, openssl: 'judge' },
  { name: 'a server certificate presented as a TLS client is wrong_purpose', input: base({ purpose: 'clientAuth' }), cause: 'wrong_purpose', failedDepth: 0, openssl: 'judge' },
  { name: 'a device certificate presented as a TLS server is wrong_purpose', input: base({ leaf: D, purpose: 'serverAuth' }), cause: 'wrong_purpose', failedDepth: 0, openssl: 'judge' },
  { name: 'a certificate issued by a non-CA certificate is wrong_purpose at the issuer', input: base({ leaf: UNDER_EE, presented: [EE, I.cert] }), cause: 'wrong_purpose', failedDepth: 1, openssl: 'judge' },
  { name: 'a CA below a pathLenConstraint of 0 is wrong_purpose at the constraining CA', input: base({ leaf: S_TOO_DEEP, presented: [I_SUB.cert, I_P0.cert] }), cause: 'wrong_purpose', failedDepth: 2, openssl: 'judge' },
  { name: 'a leaf on its issuer revocation list is revoked (openssl reads the same CRL)', input: base({ leaf: S_REVOKED, isRevoked }), cause: 'revoked', failedDepth: 0, crls: [CRL], openssl: 'judge' },
  { name: 'a server certificate that does not name the dialled host is hostname_mismatch', input: base({ hostname: 'broker.example.net' }), cause: 'hostname_mismatch', failedDepth: 0, openssl: 'judge' },
  { name: 'a server certificate without the dialled IP is hostname_mismatch', input: base({ hostname: '10.0.0.1' }), cause: 'hostname_mismatch', failedDepth: 0, openssl: 'judge' },
  { name: 'a pin that matches no certificate on the path is pin_mismatch (openssl has no pins and says ok)', input: base({ pins: [RX.cert.fingerprint] }), cause: 'pin_mismatch', failedDepth: 0, openssl: 'judge', opensslCause: 'ok' },
  { name: 'a pin on the anchor SPKI matches', input: base({ pins: [R.cert.spkiFingerprint] }), cause: 'ok', openssl: 'judge' },
  { name: 'a pin on the intermediate certificate matches', input: base({ pins: [I.cert.fingerprint] }), cause: 'ok', openssl: 'judge' },
  // inclusive bounds (RFC 5280 4.1.2.5)
  { name: 'a certificate is valid exactly at its notBefore', input: base({ at: S.notBefore }), cause: 'ok', openssl: 'judge' },
  { name: 'a certificate is not valid one second before its notBefore', input: base({ at: S.notBefore - 1000 }), cause: 'not_yet_valid', failedDepth: 0, openssl: 'judge' },
  {
    name: 'a certificate is valid exactly at its notAfter (RFC 5280; OpenSSL 3.0 already says expired there)',
    input: base({ at: S.notAfter }),
    cause: 'ok',
    openssl: 'judge',
    opensslCause: 'expired_leaf',
  },
  { name: 'a certificate is expired one second after its notAfter', input: base({ at: S.notAfter + 1000 }), cause: 'expired_leaf', failedDepth: 0, openssl: 'judge' },
  // the DST Root CA X3 replay
  {
    name: 'LE 2021: untrusted-first with both roots picks the expired DST root: expired_on_chosen_path',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: BOTH_ROOTS, at: T('2021-10-01T00:00:00Z'), policy: UF_ENFORCE },
    cause: 'expired_on_chosen_path',
    certificateCause: 'expired_root',
    failedDepth: 3,
    path: ['broker.example', 'R3', 'ISRG Root X1', 'DST Root CA X3'],
    openssl: 'judge',
  },
  {
    name: 'LE 2021: the same chain through the expired DST root fails at the root for a clock one day ahead only because of the clock',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: BOTH_ROOTS, at: T('2021-10-01T00:00:00Z'), trueTime: T('2021-09-30T00:00:00Z'), policy: UF_ENFORCE },
    cause: 'expired_clock_ahead',
    certificateCause: 'expired_root',
    failedDepth: 3,
    openssl: 'judge',
  },
  {
    name: 'LE 2021: trusted-first with both roots ends at the self-signed ISRG root: ok',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: BOTH_ROOTS, at: T('2021-10-01T00:00:00Z'), policy: TF_ENFORCE },
    cause: 'ok',
    path: ['broker.example', 'R3', 'ISRG Root X1'],
    openssl: 'judge',
  },
  {
    name: 'LE 2021: untrusted-first before DST expiry is ok through the cross-sign',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: BOTH_ROOTS, at: T('2021-09-29T00:00:00Z'), policy: UF_ENFORCE },
    cause: 'ok',
    path: ['broker.example', 'R3', 'ISRG Root X1', 'DST Root CA X3'],
    openssl: 'judge',
  },
  {
    name: 'LE 2021: untrusted-first with the short chain served reaches ISRG Root X1: ok',
    input: { leaf: LE_LEAF, presented: [R3.cert], anchors: BOTH_ROOTS, at: T('2021-10-01T00:00:00Z'), policy: UF_ENFORCE },
    cause: 'ok',
    path: ['broker.example', 'R3', 'ISRG Root X1'],
    openssl: 'judge',
  },
  {
    name: 'LE 2021: untrusted-first ignoring anchor expiry (Android) is ok through the expired DST root',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: BOTH_ROOTS, at: T('2021-10-01T00:00:00Z'), policy: UF_IGNORE },
    cause: 'ok',
    path: ['broker.example', 'R3', 'ISRG Root X1', 'DST Root CA X3'],
    openssl: 'judge-ignoring-anchor-expiry',
  },
  {
    name: 'LE 2021: a store holding only DST that ignores anchor expiry is ok after the root expired',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: [DST.cert], at: T('2021-10-01T00:00:00Z'), policy: TF_IGNORE },
    cause: 'ok',
    path: ['broker.example', 'R3', 'ISRG Root X1', 'DST Root CA X3'],
    openssl: 'judge-ignoring-anchor-expiry',
  },
  {
    name: 'LE 2024: a store holding only DST that ignores anchor expiry is still ok exactly at the cross-sign notAfter (OpenSSL 3.0 says expired there)',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: [DST.cert], at: T('2024-09-30T18:14:03Z'), policy: TF_IGNORE },
    cause: 'ok',
    openssl: 'judge-ignoring-anchor-expiry',
    opensslCause: 'expired_intermediate',
  },
  {
    name: 'LE 2024: one second after the cross-sign notAfter a DST-only store ignoring anchor expiry fails expired_intermediate',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: [DST.cert], at: T('2024-09-30T18:14:04Z'), policy: TF_IGNORE },
    cause: 'expired_intermediate',
    failedDepth: 2,
    openssl: 'judge-ignoring-anchor-expiry',
  },
  {
    name: 'LE 2021: a store holding only DST that enforces anchor expiry fails expired_root',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: [DST.cert], at: T('2021-10-01T00:00:00Z'), policy: TF_ENFORCE },
    cause: 'expired_root',
    failedDepth: 3,
    openssl: 'judge',
  },
  {
    name: 'LE 2024: untrusted-first ignoring anchor expiry with both roots fails on the expired cross-sign although ISRG Root X1 would do: expired_on_chosen_path',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: BOTH_ROOTS, at: T('2024-10-01T00:00:00Z'), policy: UF_IGNORE },
    cause: 'expired_on_chosen_path',
    certificateCause: 'expired_intermediate',
    failedDepth: 2,
    openssl: 'judge-ignoring-anchor-expiry',
  },
  {
    name: 'LE 2024: trusted-first with both roots never touches the expired cross-sign: ok',
    input: { leaf: LE_LEAF, presented: LE_SERVED, anchors: BOTH_ROOTS, at: T('2024-10-01T00:00:00Z'), policy: TF_ENFORCE },
    cause: 'ok',
    path: ['broker.example', 'R3', 'ISRG Root X1'],
    openssl: 'judge',
  },
  {
    name: 'a not-yet-valid cross-sign on the chosen path with a valid alternative is reported as expired_on_chosen_path, keeping not_yet_valid',
    input: { leaf: LE_LEAF, presented: [R3.cert, ISRG_BY_DST_LATER.cert], anchors: BOTH_ROOTS, at: T('2021-09-29T00:00:00Z'), policy: UF_ENFORCE },
    cause: 'expired_on_chosen_path',
    certificateCause: 'not_yet_valid',
    failedDepth: 2,
    openssl: 'judge',
  },
];

/** Maps one openssl error (x509_vfy.h codes, OpenSSL 3.0) to the certfleet cause it corresponds to. */
function causeOf(error: OpensslError | undefined, verdict: Verdict, anchored: boolean): Cause {
  if (!error) return 'ok';
  switch (error.code) {
    case 10:
      if (error.depth === 0) return 'expired_leaf';
      return anchored && error.depth === verdict.path.length - 1 ? 'expired_root' : 'expired_intermediate';
    case 9:
      return 'not_yet_valid';
    case 2:
    case 18:
    case 19:
    case 20:
    case 21:
      return 'untrusted_root';
    case 7:
      return 'bad_signature';
    case 23:
      return 'revoked';
    case 62:
    case 64:
      return 'hostname_mismatch';
    case 25: // path length constraint exceeded
    case 26: // unsupported certificate purpose
    case 32: // key usage does not include certificate signing
    case 79: // invalid CA certificate
      return 'wrong_purpose';
    default:
      throw new Error(`unmapped openssl error ${error.code} at depth ${error.depth}`);
  }
}

/** Runs openssl on the path certfleet chose: CAfile = the chosen anchor only, -untrusted = the chosen intermediates. */
function opensslOnChosenPath(row: Row, verdict: Verdict): { run: OpensslRun; anchored: boolean } {
  const { path } = verdict;
  const anchored = verdict.cause !== 'untrusted_root';
  const leafCert = path[0] as ParsedCertificate;
  const run = opensslVerify({
    leaf: leafCert,
    untrusted: anchored ? path.slice(1, -1) : path.slice(1),
    trusted: anchored ? [path[path.length - 1] as ParsedCertificate] : row.input.anchors,
    at: row.input.at,
    purpose: row.input.purpose,
    hostname: row.input.hostname,
    crls: row.crls,
  });
  return { run, anchored };
}

describe('verifyChainAt table', () => {
  test.each(rows)('$name', (row) => {
    const v = verifyChainAt(row.input);
    expect(v.cause).toBe(row.cause);
    expect(v.certificateCause).toBe(row.certificateCause ?? row.cause);
    if (row.cause === 'ok') expect(v.failed).toBeUndefined();
    if (row.failedDepth !== undefined) expect(v.failed?.depth).toBe(row.failedDepth);
    if (row.path) expect(v.path.map((c) => c.label)).toEqual(row.path);
    expect(v.clockSkewMs).toBe(row.input.trueTime === undefined ? 0 : row.input.at - row.input.trueTime);
  });

  test('the table covers every chain-verdict cause', () => {
    const chainCauses = ALL_CAUSES.slice(0, ALL_CAUSES.indexOf('pin_mismatch') + 1);
    const covered = new Set(rows.flatMap((r) => [r.cause, r.certificateCause ?? r.cause]));
    expect(chainCauses.filter((c) => !covered.has(c))).toEqual([]);
  });
});

describe('openssl verify -attime agrees on the path certfleet chose', () => {
  for (const row of rows) {
    const label =
      row.openssl === 'path-only'
        ? `openssl cannot express this policy, the chosen path is checked: ${row.name}`
        : row.input.policy.pathBuilding === 'untrusted-first'
          ? `openssl judges the untrusted-first path certfleet chose: ${row.name}`
          : `openssl agrees: ${row.name}`;
    test(label, () => {
      const v = verifyChainAt(row.input);
      if (row.openssl === 'path-only') {
        expect(row.path).toBeDefined();
        expect(v.path.map((c) => c.label)).toEqual(row.path);
        return;
      }
      const { run, anchored } = opensslOnChosenPath(row, v);
      let errors = run.errors;
      if (row.openssl === 'judge-ignoring-anchor-expiry') {
        const anchorDepth = v.path.length - 1;
        errors = errors.filter((e) => !(e.code === 10 && e.depth === anchorDepth));
      }
      const first = errors[0];
      // openssl must really have run: "OK" on success, at least one error line otherwise.
      expect(run.ok || run.errors.length > 0, run.output).toBe(true);
      if (run.ok) expect(run.output).toMatch(/: OK$/m);
      expect(causeOf(first, v, anchored), run.output).toBe(row.opensslCause ?? v.certificateCause);
      if (first && row.opensslCause === undefined) expect(first.depth, run.output).toBe(v.failed?.depth);
    });
  }
});

describe('precedence where openssl orders its checks differently', () => {
  test('an expired server certificate used as a client is expired_leaf, while openssl prints the purpose error first and then the expiry', () => {
    const input = base({ leaf: S_EXPIRED, purpose: 'clientAuth' });
    const v = verifyChainAt(input);
    expect(v.cause).toBe('expired_leaf');
    const { run, anchored } = opensslOnChosenPath({ name: '', input, cause: v.cause, openssl: 'judge' }, v);
    expect(run.errors.map((e) => causeOf(e, v, anchored))).toEqual(['wrong_purpose', 'expired_leaf']);
  });

  test('a revoked certificate for the wrong host is revoked, while openssl stops at the host name', () => {
    const input = base({ leaf: S_REVOKED, isRevoked, hostname: 'broker.example.net' });
    const v = verifyChainAt(input);
    expect(v.cause).toBe('revoked');
    const { run, anchored } = opensslOnChosenPath({ name: '', input, cause: v.cause, openssl: 'judge', crls: [CRL] }, v);
    expect(run.errors.map((e) => causeOf(e, v, anchored))).toEqual(['hostname_mismatch']);
  });

  test('an expired intermediate above an expired leaf decides, as openssl walks from the anchor down', () => {
    const oldLeaf = leaf(I_EXPIRED, 'broker-4', '2025-01-01T00:00:00Z', '2026-02-01T00:00:00Z');
    const input = base({ leaf: oldLeaf, presented: [I_EXPIRED.cert] });
    const v = verifyChainAt(input);
    expect([v.cause, v.failed?.depth]).toEqual(['expired_intermediate', 1]);
    const { run, anchored } = opensslOnChosenPath({ name: '', input, cause: v.cause, openssl: 'judge' }, v);
    expect(run.errors.map((e) => causeOf(e, v, anchored))).toEqual(['expired_intermediate', 'expired_leaf']);
  });
});

describe('verdict details', () => {
  test('the failed certificate carries its role on the path', () => {
    const v = verifyChainAt(base({ leaf: S_UNDER_OLD, presented: [I_UNDER_OLD.cert], anchors: [R_OLD.cert] }));
    expect(v.failed?.role).toBe('anchor');
    expect(v.failed?.certificate.fingerprint).toBe(R_OLD.cert.fingerprint);
    expect(verifyChainAt(base({ leaf: S_UNDER_EXPIRED_I, presented: [I_EXPIRED.cert] })).failed?.role).toBe('intermediate');
  });

  test('clock skew is the judge clock minus true time', () => {
    const v = verifyChainAt(base({ at: AT - 5_000, trueTime: AT }));
    expect(v.cause).toBe('ok');
    expect(v.clockSkewMs).toBe(-5_000);
  });

  test('a self-signed leaf that is itself an anchor is ok, and its dates are checked as a leaf', () => {
    const v = verifyChainAt({ leaf: R.cert, presented: [], anchors: [R.cert], at: AT, policy: TF_IGNORE });
    expect(v.cause).toBe('ok');
    expect(v.path).toHaveLength(1);
    const late = verifyChainAt({ leaf: R_OLD.cert, presented: [], anchors: [R_OLD.cert], at: AT, policy: TF_IGNORE });
    expect([late.cause, late.failed?.role]).toEqual(['expired_leaf', 'leaf']);
  });

  test('a self-signed leaf that is not an anchor is untrusted_root', () => {
    expect(verifyChainAt({ leaf: RX.cert, presented: [], anchors: [R.cert], at: AT, policy: TF_ENFORCE }).cause).toBe('untrusted_root');
  });

  test('presented certificates in any order build the same path', () => {
    const v = verifyChainAt({ leaf: S_TOO_DEEP, presented: [I_P0.cert, I_SUB.cert], anchors: [R.cert], at: AT, policy: TF_ENFORCE });
    expect(v.path.map((c) => c.label)).toEqual(['broker', 'Sub CA', 'PathLen0 CA', 'Fleet Root']);
  });

  test('the verdict is the same when asked again (memoised signatures)', () => {
    const input = base({ leaf: S_FORGED });
    expect(verifyChainAt(input).cause).toBe('bad_signature');
    expect(verifyChainAt(input).cause).toBe('bad_signature');
    expect(verifyChainAt(base({})).cause).toBe('ok');
  });
});
