/**
 * Certification path building (RFC 4158 in miniature) with the two OpenSSL policies certfleet simulates.
 *
 * Anchors are trust anchors in the RFC 5280 6.1.1 sense: a path ends at the first anchor it reaches (like OpenSSL
 * with X509_V_FLAG_PARTIAL_CHAIN). Device stores hold self-signed roots, where this and OpenSSL's default agree.
 * An issuer candidate of C is any X that passes `pool.isIssuerCandidate(C, X)`: issuer name, AKI/SKI and signature
 * algorithm, the test OpenSSL 3.0's path building makes (ossl_x509_likely_issued). Signatures, CA flags and
 * keyUsage are checked later, by the verifier, as OpenSSL does.
 */
import type { AnchorExpiry, IssuerChecks, ParsedCertificate, PathBuilding } from './types.js';

/** Longest path built or searched, leaf and anchor included. */
export const MAX_PATH_LENGTH = 8;

export interface PathContext {
  leaf: ParsedCertificate;
  /** Untrusted certificates from the peer, in the order presented. */
  presented: readonly ParsedCertificate[];
  anchors: readonly ParsedCertificate[];
  /** The judge's clock: used only to prefer a currently valid issuer among several candidates. */
  at: number;
  anchorExpiry: AnchorExpiry;
  pool: IssuerChecks;
}

export interface BuiltPath {
  /** Leaf first; the anchor last when `anchored`, else the certificate whose issuer could not be found. */
  path: ParsedCertificate[];
  anchored: boolean;
}

/** Inclusive at both bounds (RFC 5280 4.1.2.5). */
export function isTimeValid(cert: ParsedCertificate, at: number): boolean {
  return cert.notBefore <= at && at <= cert.notAfter;
}

interface AnchorIndex {
  bySubject: Map<string, ParsedCertificate[]>;
  byFingerprint: Map<string, ParsedCertificate>;
}

/** Keyed by the anchors array: a TrustStore hands out the same array until it changes, so this is built once. */
const anchorIndexes = new WeakMap<readonly ParsedCertificate[], AnchorIndex>();

function indexOf(anchors: readonly ParsedCertificate[]): AnchorIndex {
  let index = anchorIndexes.get(anchors);
  if (!index) {
    index = { bySubject: new Map(), byFingerprint: new Map() };
    for (const a of anchors) {
      if (index.byFingerprint.has(a.fingerprint)) continue;
      index.byFingerprint.set(a.fingerprint, a);
      const list = index.bySubject.get(a.subjectKey);
      if (list) list.push(a);
      else index.bySubject.set(a.subjectKey, [a]);
    }
    anchorIndexes.set(anchors, index);
  }
  return index;
}

function anchorCandidates(ctx: PathContext, index: AnchorIndex, cert: ParsedCertificate): ParsedCertificate[] {
  const named = index.bySubject.get(cert.issuerKey);
  if (!named) return [];
  return named.filter((a) => ctx.pool.isIssuerCandidate(cert, a));
}

function presentedCandidates(
  ctx: PathContext,
  cert: ParsedCertificate,
  onPath: readonly ParsedCertificate[],
): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  for (const p of ctx.presented) {
    if (p.subjectKey !== cert.issuerKey) continue;
    if (onPath.some((q) => q.fingerprint === p.fingerprint)) continue;
    if (out.some((q) => q.fingerprint === p.fingerprint)) continue;
    if (ctx.pool.isIssuerCandidate(cert, p)) out.push(p);
  }
  return out;
}

/**
 * OpenSSL 3.0's choice among several issuers (X509_STORE_CTX_get1_issuer / find_issuer): the first one valid at the
 * clock, else the one with the latest notAfter (the first of equals). Anchors count as valid when their expiry is
 * ignored.
 */
function choose(candidates: readonly ParsedCertificate[], at: number, anchorsTimeless: boolean): ParsedCertificate | undefined {
  let best: ParsedCertificate | undefined;
  for (const c of candidates) {
    if (anchorsTimeless || isTimeValid(c, at)) return c;
    if (!best || c.notAfter > best.notAfter) best = c;
  }
  return best;
}

/** Builds the one path the judge's policy picks. */
export function buildPath(ctx: PathContext, building: PathBuilding): BuiltPath {
  return building === 'trusted-first' ? trustedFirst(ctx) : untrustedFirst(ctx);
}

/** OpenSSL >= 1.1.0 (X509_V_FLAG_TRUSTED_FIRST): at every step the store is searched before the peer's chain. */
function trustedFirst(ctx: PathContext): BuiltPath {
  const index = indexOf(ctx.anchors);
  const ignoreAnchorTime = ctx.anchorExpiry === 'ignore';
  const path: ParsedCertificate[] = [ctx.leaf];
  for (;;) {
    const cur = path[path.length - 1] as ParsedCertificate;
    if (cur.selfSigned) {
      // A self-signed certificate is trusted only as an exact copy of an anchor (OpenSSL's X509_cmp), never through
      // another anchor with the same name.
      const anchor = index.byFingerprint.get(cur.fingerprint);
      if (anchor) path[path.length - 1] = anchor;
      return { path, anchored: anchor !== undefined };
    }
    if (path.length >= MAX_PATH_LENGTH) return { path, anchored: false };
    const anchor = choose(anchorCandidates(ctx, index, cur), ctx.at, ignoreAnchorTime);
    if (anchor) {
      path.push(anchor);
      return { path, anchored: true };
    }
    const next = choose(presentedCandidates(ctx, cur, path), ctx.at, false);
    if (!next) return { path, anchored: false };
    path.push(next);
  }
}

/**
 * OpenSSL <= 1.0.2: follow the peer's chain as far as it goes, stopping at a self-signed certificate, and only then
 * ask the store. A self-signed top that is not an exact anchor copy is set aside and its child's issuer looked up in
 * the store instead (1.0.2's chain_ss). This is how an expired DST Root CA X3 was chosen in 2021 while ISRG Root X1
 * sat in the same store.
 */
function untrustedFirst(ctx: PathContext): BuiltPath {
  const index = indexOf(ctx.anchors);
  const ignoreAnchorTime = ctx.anchorExpiry === 'ignore';
  const path: ParsedCertificate[] = [ctx.leaf];
  for (;;) {
    const cur = path[path.length - 1] as ParsedCertificate;
    if (cur.selfSigned || path.length >= MAX_PATH_LENGTH) break;
    const next = choose(presentedCandidates(ctx, cur, path), ctx.at, false);
    if (!next) break;
    path.push(next);
  }
  let last = path[path.length - 1] as ParsedCertificate;
  if (last.selfSigned) {
    const anchor = index.byFingerprint.get(last.fingerprint);
    if (anchor) {
      path[path.length - 1] = anchor;
      return { path, anchored: true };
    }
    if (path.length === 1) return { path, anchored: false };
    const untrustedRoot = path.pop() as ParsedCertificate;
    last = path[path.length - 1] as ParsedCertificate;
    const viaStore = choose(anchorCandidates(ctx, index, last), ctx.at, ignoreAnchorTime);
    if (viaStore) {
      path.push(viaStore);
      return { path, anchored: true };
    }
    path.push(untrustedRoot);
    return { path, anchored: false };
  }
  if (path.length >= MAX_PATH_LENGTH) return { path, anchored: false };
  const anchor = choose(anchorCandidates(ctx, index, last), ctx.at, ignoreAnchorTime);
  if (anchor) path.push(anchor);
  return { path, anchored: anchor !== undefined };
}

/**
 * Every path from the leaf to an anchor over presented + anchors (no certificate twice, at most MAX_PATH_LENGTH
 * long), depth first, presented order. Duplicates (a presented root that is also an anchor) are yielded once.
 */
export function* anchoredPaths(ctx: PathContext): Generator<ParsedCertificate[]> {
  const index = indexOf(ctx.anchors);
  const seen = new Set<string>();
  const path: ParsedCertificate[] = [ctx.leaf];
  function* emit(candidate: ParsedCertificate[]): Generator<ParsedCertificate[]> {
    const key = candidate.map((c) => c.fingerprint).join(':');
    if (seen.has(key)) return;
    seen.add(key);
    yield candidate;
  }
  function* walk(): Generator<ParsedCertificate[]> {
    const cur = path[path.length - 1] as ParsedCertificate;
    if (cur.selfSigned) {
      const anchor = index.byFingerprint.get(cur.fingerprint);
      if (anchor) yield* emit([...path.slice(0, -1), anchor]);
      return;
    }
    if (path.length >= MAX_PATH_LENGTH) return;
    for (const anchor of anchorCandidates(ctx, index, cur)) yield* emit([...path, anchor]);
    for (const next of presentedCandidates(ctx, cur, path)) {
      path.push(next);
      yield* walk();
      path.pop();
    }
  }
  yield* walk();
}

/** Every anchored path that `isValid` accepts. */
export function allValidPaths(
  ctx: PathContext,
  isValid: (path: readonly ParsedCertificate[]) => boolean,
): ParsedCertificate[][] {
  const out: ParsedCertificate[][] = [];
  for (const p of anchoredPaths(ctx)) if (isValid(p)) out.push(p);
  return out;
}

/** Whether any anchored path is accepted by `isValid`; stops at the first. */
export function existsValidPath(
  ctx: PathContext,
  isValid: (path: readonly ParsedCertificate[]) => boolean,
): boolean {
  for (const p of anchoredPaths(ctx)) if (isValid(p)) return true;
  return false;
}
