/**
 * Chain verification at a judge's clock: the verdict a device or the broker reaches about the peer's chain.
 *
 * Order of checks (the first failure decides):
 *   1. build the path (policy: trusted-first / untrusted-first); no anchor reached -> untrusted_root;
 *   2. walk from the anchor down to the leaf as OpenSSL's internal_verify does: for each certificate its signature
 *      under its issuer's key (bad_signature), then its validity at `at`, inclusive of both bounds (RFC 5280
 *      4.1.2.5): not_yet_valid / expired_leaf / expired_intermediate; the anchor's own validity only with
 *      anchorExpiry 'enforce' (expired_root, or not_yet_valid), and its self-signature is never checked;
 *   3. from the leaf up, as OpenSSL's check_extensions: every certificate above the leaf, anchor included, must be a
 *      CA, assert keyCertSign if it has a keyUsage, stay within its pathLenConstraint, and, when a purpose is set,
 *      carry that purpose in its extKeyUsage if it has one; the leaf's keyUsage must allow TLS for that purpose
 *      -> wrong_purpose;
 *   4. revocation, leaf up (`isRevoked`) -> revoked;
 *   5. the leaf names the host (RFC 6125, `checkHost` / `checkIP`) -> hostname_mismatch;
 *   6. a pin matches a certificate on the path -> pin_mismatch.
 *
 * Precedence where OpenSSL 3.0 differs: X509_verify_cert runs check_extensions (3), check_id (5) and revocation (4)
 * before internal_verify (2). certfleet checks signature and time first: a forged certificate's extensions mean
 * nothing, and the time story (expiry, clocks, paths) is what certfleet reports; revocation comes before the host
 * name because it is a statement about the certificate, the host name one about the connection. For a chain with a
 * single fault both orders agree; with several, `openssl verify` may name another first (it prints and continues
 * past "expired" and "unsupported purpose", and stops at a host name mismatch before looking at revocation).
 *
 * Validity bounds are inclusive (RFC 5280 4.1.2.5). OpenSSL 3.0 compares notAfter with <= and already reports a
 * certificate expired at exactly its notAfter second; certfleet keeps the RFC.
 *
 * Then attribution, in this order:
 *   - clock: when a time check decided, `trueTime` is given and the deciding certificate is within its validity at
 *     trueTime, the judge's clock (not the certificate) was wrong: not_yet_valid_clock_behind / expired_clock_ahead.
 *     The clock wins over the path below: with the right clock this very path would have passed.
 *   - path: when a time check decided on a certificate other than the leaf and another path to an anchor would pass
 *     steps 2-4 at the same clock and policy: expired_on_chosen_path. A not-yet-valid certificate on the chosen path
 *     with a valid alternative is reported the same way (the path builder, not the certificates, decided);
 *     `certificateCause` keeps not_yet_valid.
 */
import { isIP } from 'node:net';
import type { Cause } from '../causes.js';
import { KEY_USAGE } from './certificate-pool.js';
import { buildPath, existsValidPath, isTimeValid } from './path-builder.js';
import type { PathContext } from './path-builder.js';
import type { IssuerChecks, ParsedCertificate, PathRole, Purpose, Verdict, VerifyInput } from './types.js';

export const PURPOSE_OID: Record<Purpose, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** keyUsage bits OpenSSL accepts on a TLS leaf (v3_purp.c: KU_TLS for servers; signature or agreement for clients). */
const LEAF_KEY_USAGE: Record<Purpose, number> = {
  serverAuth: KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment | KEY_USAGE.keyAgreement,
  clientAuth: KEY_USAGE.digitalSignature | KEY_USAGE.keyAgreement,
};

const TIME_CAUSES: ReadonlySet<Cause> = new Set<Cause>([
  'not_yet_valid',
  'expired_leaf',
  'expired_intermediate',
  'expired_root',
]);

/** A failed check on an anchored path: the certificate-level cause and the depth (0 = leaf) of the deciding cert. */
export interface PathFailure {
  cause: Cause;
  depth: number;
}

export function isTimeCause(cause: Cause): boolean {
  return TIME_CAUSES.has(cause);
}

/**
 * Steps 2-4 on an anchored path (leaf first, anchor last). Returns the first failure, or undefined.
 * A one-certificate path is a self-signed leaf that is itself an anchor: its dates are checked as a leaf's.
 */
export function checkPath(
  path: readonly ParsedCertificate[],
  input: Pick<VerifyInput, 'at' | 'policy' | 'purpose' | 'isRevoked'>,
  pool: IssuerChecks,
): PathFailure | undefined {
  const { at } = input;
  const top = path.length - 1;
  // 2. anchor down: signature, then time.
  for (let depth = top; depth >= 0; depth--) {
    const cert = path[depth] as ParsedCertificate;
    const isAnchor = depth === top && top > 0;
    if (!isAnchor) {
      const issuer = path[depth + 1];
      if (issuer && pool.issuedBy(cert, issuer) !== 'ok') return { cause: 'bad_signature', depth };
    }
    if (isAnchor && input.policy.anchorExpiry === 'ignore') continue;
    if (at < cert.notBefore) return { cause: 'not_yet_valid', depth };
    if (at > cert.notAfter) {
      return { cause: depth === 0 ? 'expired_leaf' : isAnchor ? 'expired_root' : 'expired_intermediate', depth };
    }
  }
  // 3. leaf up: CA flag, pathLenConstraint, purpose.
  const purpose = input.purpose;
  const oid = purpose ? PURPOSE_OID[purpose] : undefined;
  let belowCAs = 0;
  for (let depth = 0; depth <= top; depth++) {
    const cert = path[depth] as ParsedCertificate;
    if (depth > 0 && !cert.isCA) return { cause: 'wrong_purpose', depth };
    // RFC 5280 4.2.1.3: an issuer with a keyUsage must assert keyCertSign (OpenSSL error 32).
    if (depth > 0 && cert.keyUsage !== undefined && (cert.keyUsage & KEY_USAGE.keyCertSign) === 0) {
      return { cause: 'wrong_purpose', depth };
    }
    if (oid !== undefined && purpose !== undefined) {
      if (cert.extKeyUsage !== undefined && !cert.extKeyUsage.includes(oid)) return { cause: 'wrong_purpose', depth };
      if (depth === 0 && cert.keyUsage !== undefined && (cert.keyUsage & LEAF_KEY_USAGE[purpose]) === 0) {
        return { cause: 'wrong_purpose', depth };
      }
    }
    // RFC 5280 6.1.4 (m), counted as OpenSSL does: self-issued intermediates do not count.
    if (depth > 1 && cert.pathLength !== undefined && belowCAs > cert.pathLength) {
      return { cause: 'wrong_purpose', depth };
    }
    if (depth > 0 && !cert.selfIssued) belowCAs++;
  }
  // 4. revocation, leaf up.
  if (input.isRevoked) {
    for (let depth = 0; depth < top; depth++) {
      if (input.isRevoked(path[depth] as ParsedCertificate, path[depth + 1] as ParsedCertificate, at)) {
        return { cause: 'revoked', depth };
      }
    }
  }
  return undefined;
}

function roleAt(depth: number, path: readonly ParsedCertificate[], anchored: boolean): PathRole {
  if (depth === 0) return 'leaf';
  return anchored && depth === path.length - 1 ? 'anchor' : 'intermediate';
}

/** Does the leaf name the host (a DNS name, or an IP literal matched against IP SANs)? */
export function namesHost(leaf: ParsedCertificate, hostname: string): boolean {
  return isIP(hostname) !== 0 ? leaf.x509.checkIP(hostname) !== undefined : leaf.x509.checkHost(hostname) !== undefined;
}

/** Does any pin (certificate or SPKI SHA-256) match a certificate on the path? */
export function pinMatches(path: readonly ParsedCertificate[], pins: readonly string[]): boolean {
  for (const pin of pins) {
    const p = pin.toLowerCase().replace(/:/g, '');
    if (path.some((c) => c.fingerprint === p || c.spkiFingerprint === p)) return true;
  }
  return false;
}

/** Judges the peer's chain at `input.at`. Pure: reads no clock, no file, no network. */
export function verifyChainAt(input: VerifyInput): Verdict {
  const pool = input.pool;
  const clockSkewMs = input.trueTime === undefined ? 0 : input.at - input.trueTime;
  const ctx: PathContext = {
    leaf: input.leaf,
    presented: input.presented,
    anchors: input.anchors,
    at: input.at,
    anchorExpiry: input.policy.anchorExpiry,
    pool,
  };
  const { path, anchored } = buildPath(ctx, input.policy.pathBuilding);

  const verdict = (cause: Cause, certificateCause: Cause, depth?: number): Verdict => ({
    cause,
    certificateCause,
    path,
    failed:
      depth === undefined
        ? undefined
        : { depth, role: roleAt(depth, path, anchored), certificate: path[depth] as ParsedCertificate },
    clockSkewMs,
  });

  // 1. trust
  if (!anchored) return verdict('untrusted_root', 'untrusted_root', path.length - 1);

  // 2-4. signatures, dates, extensions, revocation
  const failure = checkPath(path, input, pool);
  if (failure) {
    const { cause, depth } = failure;
    if (!isTimeCause(cause)) return verdict(cause, cause, depth);
    const cert = path[depth] as ParsedCertificate;
    if (input.trueTime !== undefined && input.trueTime !== input.at && isTimeValid(cert, input.trueTime)) {
      return verdict(cause === 'not_yet_valid' ? 'not_yet_valid_clock_behind' : 'expired_clock_ahead', cause, depth);
    }
    // The leaf is on every path: only a failure above it can have a valid alternative.
    if (depth > 0 && existsValidPath(ctx, (p) => checkPath(p, input, pool) === undefined)) {
      return verdict('expired_on_chosen_path', cause, depth);
    }
    return verdict(cause, cause, depth);
  }

  // 5. host name
  if (input.hostname !== undefined && !namesHost(input.leaf, input.hostname)) {
    return verdict('hostname_mismatch', 'hostname_mismatch', 0);
  }
  // 6. pins
  if (input.pins !== undefined && input.pins.length > 0 && !pinMatches(path, input.pins)) {
    return verdict('pin_mismatch', 'pin_mismatch', 0);
  }
  return verdict('ok', 'ok');
}
