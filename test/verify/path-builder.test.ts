import { describe, expect, test } from 'vitest';
import { MAX_PATH_LENGTH, allValidPaths, anchoredPaths, buildPath, checkPath, existsValidPath } from '../../sim/verify/index.js';
import type { ParsedCertificate, PathContext, VerifyPolicy } from '../../sim/verify/index.js';
import { T, crossSign, intermediate, leaf, pool, root } from './fixtures.js';
import type { TestCa } from './fixtures.js';

const DST = root('DST Root CA X3', '2000-09-30T21:12:19Z', '2021-09-30T14:01:15Z');
const ISRG = root('ISRG Root X1', '2015-06-04T11:04:38Z', '2035-06-04T11:04:38Z');
const ISRG_BY_DST = crossSign(ISRG, DST, '2021-01-20T19:14:03Z', '2024-09-30T18:14:03Z');
const R3 = intermediate(ISRG, 'R3', '2020-09-04T00:00:00Z', '2025-09-15T16:00:00Z');
const LEAF = leaf(R3, 'broker.example', '2021-09-01T00:00:00Z', '2025-09-01T00:00:00Z');

const labels = (path: readonly ParsedCertificate[]): string[] => path.map((c) => c.label);

function ctx(over: Partial<PathContext>): PathContext {
  return {
    leaf: LEAF,
    presented: [R3.cert, ISRG_BY_DST.cert],
    anchors: [DST.cert, ISRG.cert],
    at: T('2021-10-01T00:00:00Z'),
    anchorExpiry: 'enforce',
    pool,
    ...over,
  };
}

const validAt = (c: PathContext, policy: VerifyPolicy) => (path: readonly ParsedCertificate[]) =>
  checkPath(path, { at: c.at, policy }, pool) === undefined;

describe('trusted-first', () => {
  test('it stops at the first anchor that issued the current certificate', () => {
    const built = buildPath(ctx({}), 'trusted-first');
    expect(built.anchored).toBe(true);
    expect(labels(built.path)).toEqual(['broker.example', 'R3', 'ISRG Root X1']);
    expect(built.path[2]?.selfSigned).toBe(true);
  });

  test('among anchors with the same name and key it prefers one valid at the clock', () => {
    const expiredCopy = root('ISRG Root X1', '2015-06-04T11:04:38Z', '2020-01-01T00:00:00Z', ISRG.keyPair);
    const built = buildPath(ctx({ anchors: [expiredCopy.cert, ISRG.cert] }), 'trusted-first');
    expect(built.path[2]?.fingerprint).toBe(ISRG.cert.fingerprint);
  });

  test('when no candidate is valid it takes the one with the latest notAfter, as OpenSSL 3.0', () => {
    const early = intermediate(ISRG, 'R3', '2020-09-04T00:00:00Z', '2021-01-01T00:00:00Z', { keyPair: R3.keyPair });
    const later = intermediate(ISRG, 'R3', '2020-09-04T00:00:00Z', '2021-06-01T00:00:00Z', { keyPair: R3.keyPair });
    const built = buildPath(ctx({ presented: [early.cert, later.cert], anchors: [ISRG.cert] }), 'trusted-first');
    expect(built.path[1]?.fingerprint).toBe(later.cert.fingerprint);
  });

  test('a presented copy of the anchor is replaced by the anchor itself, not appended', () => {
    const built = buildPath(ctx({ presented: [R3.cert, ISRG.cert], anchors: [ISRG.cert] }), 'trusted-first');
    expect(labels(built.path)).toEqual(['broker.example', 'R3', 'ISRG Root X1']);
  });
});

describe('untrusted-first', () => {
  test('it follows the presented chain to its end before asking the store, reaching the expired DST root', () => {
    const built = buildPath(ctx({}), 'untrusted-first');
    expect(built.anchored).toBe(true);
    expect(labels(built.path)).toEqual(['broker.example', 'R3', 'ISRG Root X1', 'DST Root CA X3']);
    expect(built.path[3]?.fingerprint).toBe(DST.cert.fingerprint);
  });

  test('a presented self-signed root that is an anchor ends the path at the anchor', () => {
    const built = buildPath(ctx({ presented: [R3.cert, ISRG.cert] }), 'untrusted-first');
    expect(labels(built.path)).toEqual(['broker.example', 'R3', 'ISRG Root X1']);
    expect(built.path[2]?.fingerprint).toBe(ISRG.cert.fingerprint);
  });

  test('a presented self-signed root the store lacks is set aside and its child issuer looked up in the store', () => {
    // Same name and key as the trusted ISRG root but another certificate: not an exact anchor copy.
    const copy = root('ISRG Root X1', '2016-01-01T00:00:00Z', '2036-01-01T00:00:00Z', ISRG.keyPair);
    const built = buildPath(ctx({ presented: [R3.cert, copy.cert], anchors: [ISRG.cert] }), 'untrusted-first');
    expect(built.anchored).toBe(true);
    expect(built.path.map((c) => c.fingerprint)).toEqual([LEAF.fingerprint, R3.cert.fingerprint, ISRG.cert.fingerprint]);
    const unknown = buildPath(ctx({ presented: [R3.cert, copy.cert], anchors: [DST.cert] }), 'untrusted-first');
    expect(unknown.anchored).toBe(false);
    expect(unknown.path[2]?.fingerprint).toBe(copy.cert.fingerprint);
  });
});

describe('exhaustive search', () => {
  test('before DST expired both the cross-signed path and the short path are valid', () => {
    const c = ctx({ at: T('2021-09-29T00:00:00Z') });
    const paths = allValidPaths(c, validAt(c, { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' }));
    expect(paths.map(labels)).toEqual([
      ['broker.example', 'R3', 'ISRG Root X1'],
      ['broker.example', 'R3', 'ISRG Root X1', 'DST Root CA X3'],
    ]);
  });

  test('after DST expired only the short path is valid when anchor expiry is enforced', () => {
    const c = ctx({});
    const paths = allValidPaths(c, validAt(c, { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' }));
    expect(paths.map(labels)).toEqual([['broker.example', 'R3', 'ISRG Root X1']]);
  });

  test('with only DST trusted no valid path exists after DST expired when anchor expiry is enforced', () => {
    const c = ctx({ anchors: [DST.cert] });
    expect(existsValidPath(c, validAt(c, { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' }))).toBe(false);
    expect(existsValidPath(c, validAt(c, { pathBuilding: 'trusted-first', anchorExpiry: 'ignore' }))).toBe(true);
  });

  test('a presented root that is also an anchor is yielded once', () => {
    const paths = [...anchoredPaths(ctx({ presented: [R3.cert, ISRG.cert], anchors: [ISRG.cert] }))];
    expect(paths.map(labels)).toEqual([['broker.example', 'R3', 'ISRG Root X1']]);
  });

  test('two CAs cross-signed by each other do not loop', () => {
    const a = root('Loop A', '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
    const b = root('Loop B', '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
    const aByB = crossSign(a, b, '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
    const bByA = crossSign(b, a, '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
    const l = leaf(a, 'looped', '2021-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
    const c = ctx({ leaf: l, presented: [aByB.cert, bByA.cert], anchors: [] });
    expect(buildPath(c, 'trusted-first').anchored).toBe(false);
    expect(buildPath(c, 'untrusted-first').anchored).toBe(false);
    expect([...anchoredPaths(c)]).toEqual([]);
    const trusted = ctx({ leaf: l, presented: [aByB.cert, bByA.cert], anchors: [b.cert] });
    expect([...anchoredPaths(trusted)].map(labels)).toEqual([['looped', 'Loop A', 'Loop B']]);
  });

  test(`a chain longer than ${MAX_PATH_LENGTH} certificates is not followed`, () => {
    const top = root('Deep Root', '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
    let parent: TestCa = top;
    const cas: ParsedCertificate[] = [];
    for (let i = 0; i < MAX_PATH_LENGTH; i++) {
      parent = intermediate(parent, `Deep ${i}`, '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
      cas.push(parent.cert);
    }
    const l = leaf(parent, 'deep', '2021-01-01T00:00:00Z', '2030-01-01T00:00:00Z');
    const topDown = [...cas];
    const c = ctx({ leaf: l, presented: [...topDown].reverse(), anchors: [top.cert] });
    expect(buildPath(c, 'trusted-first').anchored).toBe(false);
    expect(buildPath(c, 'untrusted-first').anchored).toBe(false);
    expect([...anchoredPaths(c)]).toEqual([]);
    // The leaf, six intermediates and an anchor that is the seventh: exactly MAX_PATH_LENGTH.
    const shorter = ctx({ leaf: l, presented: topDown.slice(2), anchors: [topDown[1] as ParsedCertificate] });
    expect(buildPath(shorter, 'trusted-first').path).toHaveLength(MAX_PATH_LENGTH);
  });
});
