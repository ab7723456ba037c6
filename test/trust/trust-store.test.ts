import { describe, expect, test } from 'vitest';
import { TrustStore } from '../../sim/trust/trust-store.js';
import { T, crossSign, intermediate, leaf, root, verifyWithPool as verifyChainAt } from '../verify/fixtures.js';

const OLD = root('DST Root CA X3', '2000-09-30T21:12:19Z', '2021-09-30T14:01:15Z');
const NEW = root('ISRG Root X1', '2015-06-04T11:04:38Z', '2035-06-04T11:04:38Z');
const EXTRA = root('Extra Root', '2020-01-01T00:00:00Z', '2040-01-01T00:00:00Z');
const CROSS = crossSign(NEW, OLD, '2021-01-20T19:14:03Z', '2024-09-30T18:14:03Z');
const R3 = intermediate(NEW, 'R3', '2020-09-04T00:00:00Z', '2025-09-15T16:00:00Z');
const LEAF = leaf(R3, 'broker.example', '2021-09-01T00:00:00Z', '2025-09-01T00:00:00Z');

const fingerprints = (certs: readonly { fingerprint: string }[]): string[] => certs.map((c) => c.fingerprint);
const AUG = T('2021-08-01T00:00:00Z');
const SEP = T('2021-09-01T00:00:00Z');
const OCT = T('2021-10-01T00:00:00Z');

describe('TrustStore', () => {
  test('without updates it holds its initial anchors at every time, as the same array', () => {
    const store = new TrustStore({ anchors: [OLD.cert, OLD.cert, EXTRA.cert], mode: 'updatable' });
    const a = store.anchorsAt(AUG);
    expect(fingerprints(a)).toEqual(fingerprints([OLD.cert, EXTRA.cert]));
    expect(store.anchorsAt(OCT)).toBe(a);
    expect(store.anchorsAt(-Infinity)).toBe(a);
    expect(store.revision).toBe(0);
  });

  test('an update takes effect at its effectiveAt, inclusive, and not before', () => {
    const store = new TrustStore({ anchors: [OLD.cert], mode: 'updatable' });
    expect(store.applyUpdate({ id: 'u1', effectiveAt: SEP, add: [NEW.cert], remove: [] })).toBe('applied');
    expect(fingerprints(store.anchorsAt(SEP - 1))).toEqual([OLD.cert.fingerprint]);
    expect(fingerprints(store.anchorsAt(SEP))).toEqual([OLD.cert.fingerprint, NEW.cert.fingerprint]);
    expect(store.revision).toBe(1);
    expect([store.revisionAt(SEP - 1), store.revisionAt(SEP)]).toEqual([0, 1]);
  });

  test('the anchors array stays the same between updates and changes when one takes effect', () => {
    const store = new TrustStore({ anchors: [OLD.cert], mode: 'updatable' });
    store.applyUpdate({ id: 'u1', effectiveAt: SEP, add: [NEW.cert], remove: [] });
    const before = store.anchorsAt(AUG);
    expect(store.anchorsAt(AUG + 1000)).toBe(before);
    const after = store.anchorsAt(OCT);
    expect(after).not.toBe(before);
    expect(store.anchorsAt(OCT + 1000)).toBe(after);
  });

  test('an update removes certificates by fingerprint before adding', () => {
    const store = new TrustStore({ anchors: [OLD.cert, EXTRA.cert], mode: 'updatable' });
    store.applyUpdate({ id: 'swap', effectiveAt: SEP, add: [NEW.cert, EXTRA.cert], remove: [OLD.cert.fingerprint, EXTRA.cert.fingerprint] });
    expect(fingerprints(store.anchorsAt(OCT))).toEqual([NEW.cert.fingerprint, EXTRA.cert.fingerprint]);
  });

  test('a frozen store ignores every update', () => {
    const store = new TrustStore({ anchors: [OLD.cert], mode: 'frozen' });
    expect(store.applyUpdate({ id: 'u1', effectiveAt: SEP, add: [NEW.cert], remove: [OLD.cert.fingerprint] })).toBe('ignored_frozen');
    expect(fingerprints(store.anchorsAt(OCT))).toEqual([OLD.cert.fingerprint]);
    expect(store.revision).toBe(0);
  });

  test('the same update delivered twice is a duplicate', () => {
    const store = new TrustStore({ anchors: [OLD.cert], mode: 'updatable' });
    expect(store.applyUpdate({ id: 'u1', effectiveAt: SEP, add: [NEW.cert], remove: [] })).toBe('applied');
    expect(store.applyUpdate({ id: 'u1', effectiveAt: SEP, add: [NEW.cert], remove: [] })).toBe('duplicate');
    expect(store.revision).toBe(1);
  });

  test('updates apply in effectiveAt order whatever order they arrive in', () => {
    const store = new TrustStore({ anchors: [OLD.cert], mode: 'updatable' });
    store.applyUpdate({ id: 'remove-new', effectiveAt: OCT, add: [], remove: [NEW.cert.fingerprint] });
    store.applyUpdate({ id: 'add-new', effectiveAt: SEP, add: [NEW.cert], remove: [] });
    expect(fingerprints(store.anchorsAt(SEP))).toEqual([OLD.cert.fingerprint, NEW.cert.fingerprint]);
    expect(fingerprints(store.anchorsAt(OCT))).toEqual([OLD.cert.fingerprint]);
    expect(fingerprints(store.anchorsAt(SEP))).toEqual([OLD.cert.fingerprint, NEW.cert.fingerprint]);
  });

  test('an update dated inside or before the cached period is seen at once', () => {
    const store = new TrustStore({ anchors: [OLD.cert], mode: 'updatable' });
    store.applyUpdate({ id: 'later', effectiveAt: OCT, add: [EXTRA.cert], remove: [] });
    expect(fingerprints(store.anchorsAt(OCT))).toEqual([OLD.cert.fingerprint, EXTRA.cert.fingerprint]);
    // dated before the cached snapshot: it must now be in effect
    store.applyUpdate({ id: 'earlier', effectiveAt: SEP, add: [NEW.cert], remove: [] });
    expect(fingerprints(store.anchorsAt(OCT))).toEqual([OLD.cert.fingerprint, NEW.cert.fingerprint, EXTRA.cert.fingerprint]);
    // dated inside the cached open-ended period: it splits it
    store.applyUpdate({ id: 'last', effectiveAt: OCT + 1000, add: [], remove: [OLD.cert.fingerprint] });
    expect(fingerprints(store.anchorsAt(OCT))).toContain(OLD.cert.fingerprint);
    expect(fingerprints(store.anchorsAt(OCT + 1000))).not.toContain(OLD.cert.fingerprint);
    // and an update at the same time as the snapshot's start applies after the earlier ones there
    store.applyUpdate({ id: 'same-time', effectiveAt: OCT + 1000, add: [OLD.cert], remove: [] });
    expect(fingerprints(store.anchorsAt(OCT + 1000))).toContain(OLD.cert.fingerprint);
  });

  test('pins are kept as given', () => {
    const store = new TrustStore({ anchors: [NEW.cert], mode: 'frozen', pins: [NEW.cert.spkiFingerprint] });
    expect(store.pins).toEqual([NEW.cert.spkiFingerprint]);
  });

  test('a trust-bundle update adding the new root before the old one expires keeps an updatable device connected', () => {
    const policy = { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' } as const;
    const frozen = new TrustStore({ anchors: [OLD.cert], mode: 'frozen' });
    const updatable = new TrustStore({ anchors: [OLD.cert], mode: 'updatable' });
    const update = { id: 'isrg', effectiveAt: SEP, add: [NEW.cert], remove: [] };
    frozen.applyUpdate(update);
    updatable.applyUpdate(update);
    const judge = (store: TrustStore) =>
      verifyChainAt({ leaf: LEAF, presented: [R3.cert, CROSS.cert], anchors: store.anchorsAt(OCT), at: OCT, trueTime: OCT, policy }).cause;
    expect(judge(frozen)).toBe('expired_root');
    expect(judge(updatable)).toBe('ok');
  });
});
