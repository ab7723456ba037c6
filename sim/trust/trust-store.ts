/**
 * A device trust store over true time: the anchors it holds, the updates (OTA trust bundles) that change them, pins.
 *
 * Updates take effect at their `effectiveAt` (true time), in effectiveAt order (arrival order among equals), so
 * `anchorsAt(t)` is a pure function of t whatever order updates arrive in and whatever t is asked for. A frozen
 * store (firmware-embedded roots) ignores every update.
 *
 * `anchorsAt` is on the hot path of every handshake: it returns the same array until t crosses the next update's
 * effectiveAt, so callers (and the path builder's anchor index, keyed by the array) can cache on its identity.
 */
import type { ParsedCertificate } from '../verify/types.js';

export type TrustStoreMode = 'frozen' | 'updatable';

export interface TrustStoreInit {
  anchors: readonly ParsedCertificate[];
  mode: TrustStoreMode;
  /** Pinned certificate or SPKI fingerprints (SHA-256 hex); see VerifyInput.pins. */
  pins?: readonly string[] | undefined;
}

export interface TrustUpdate {
  /** Identifies the bundle: the same id twice is a duplicate delivery. */
  id: string;
  /** True time from which the update holds. */
  effectiveAt: number;
  add: readonly ParsedCertificate[];
  /** Fingerprints (certificate SHA-256) to remove; applied before `add`, so an update can replace a certificate. */
  remove: readonly string[];
}

export type UpdateResult = 'applied' | 'ignored_frozen' | 'duplicate';

interface Snapshot {
  /** The snapshot holds for from <= t < until. */
  from: number;
  until: number;
  anchors: readonly ParsedCertificate[];
  /** Anchors an update in effect removed (a distrust), still unexpired or not. */
  removed: readonly ParsedCertificate[];
  /** Updates in effect. */
  revision: number;
}

export class TrustStore {
  readonly mode: TrustStoreMode;
  readonly pins: readonly string[];
  readonly #base: readonly ParsedCertificate[];
  /** Accepted updates sorted by effectiveAt, then arrival. */
  readonly #updates: TrustUpdate[] = [];
  readonly #ids = new Set<string>();
  #revision = 0;
  #snapshot: Snapshot | undefined;

  constructor(init: TrustStoreInit) {
    this.mode = init.mode;
    this.pins = Object.freeze([...(init.pins ?? [])]);
    // A frozen array without duplicates is kept as it is: the devices of a cohort then share one anchors array (and
    // one path-builder index over it) until an update changes theirs. A root-store bundle holds 100+ anchors.
    const unique = dedupe(init.anchors);
    this.#base = Object.isFrozen(init.anchors) && unique.length === init.anchors.length ? init.anchors : Object.freeze(unique);
  }

  /** Updates accepted so far (whether or not in effect yet). */
  get revision(): number {
    return this.#revision;
  }

  /** The updates accepted so far, in the order they apply. */
  get updates(): readonly TrustUpdate[] {
    return this.#updates;
  }

  /** The anchors at true time t. The same array is returned until the next update takes effect. */
  anchorsAt(t: number): readonly ParsedCertificate[] {
    const s = this.#snapshot;
    if (s && s.from <= t && t < s.until) return s.anchors;
    return this.#rebuild(t).anchors;
  }

  /** The anchors that updates in effect at true time t removed: roots the device distrusted, not merely lacks. */
  removedAt(t: number): readonly ParsedCertificate[] {
    const s = this.#snapshot;
    if (s && s.from <= t && t < s.until) return s.removed;
    return this.#rebuild(t).removed;
  }

  /** How many accepted updates are in effect at true time t. */
  revisionAt(t: number): number {
    const s = this.#snapshot;
    if (s && s.from <= t && t < s.until) return s.revision;
    return this.#rebuild(t).revision;
  }

  applyUpdate(update: TrustUpdate): UpdateResult {
    if (Number.isNaN(update.effectiveAt)) throw new RangeError(`trust update ${update.id}: effectiveAt is NaN`);
    if (this.mode === 'frozen') return 'ignored_frozen';
    if (this.#ids.has(update.id)) return 'duplicate';
    this.#ids.add(update.id);
    const frozenCopy: TrustUpdate = Object.freeze({
      id: update.id,
      effectiveAt: update.effectiveAt,
      add: Object.freeze([...update.add]),
      remove: Object.freeze([...update.remove]),
    });
    // Insert after every update with effectiveAt <= this one: arrival order among equals.
    let i = this.#updates.length;
    while (i > 0 && (this.#updates[i - 1] as TrustUpdate).effectiveAt > update.effectiveAt) i--;
    this.#updates.splice(i, 0, frozenCopy);
    this.#revision++;
    const s = this.#snapshot;
    if (s) {
      if (update.effectiveAt <= s.from) this.#snapshot = undefined;
      else if (update.effectiveAt < s.until) s.until = update.effectiveAt;
    }
    return 'applied';
  }

  #rebuild(t: number): Snapshot {
    const first = this.#updates[0];
    if (first === undefined || first.effectiveAt > t) {
      this.#snapshot = { from: -Infinity, until: first?.effectiveAt ?? Infinity, anchors: this.#base, removed: [], revision: 0 };
      return this.#snapshot;
    }
    const byFingerprint = new Map<string, ParsedCertificate>();
    const removed = new Map<string, ParsedCertificate>();
    for (const a of this.#base) byFingerprint.set(a.fingerprint, a);
    let from = -Infinity;
    let until = Infinity;
    let revision = 0;
    for (const u of this.#updates) {
      if (u.effectiveAt > t) {
        until = u.effectiveAt;
        break;
      }
      for (const fp of u.remove) {
        const gone = byFingerprint.get(fp);
        if (gone) removed.set(fp, gone);
        byFingerprint.delete(fp);
      }
      for (const a of u.add) {
        byFingerprint.set(a.fingerprint, a);
        removed.delete(a.fingerprint);
      }
      from = u.effectiveAt;
      revision++;
    }
    const snapshot: Snapshot = {
      from,
      until,
      anchors: Object.freeze([...byFingerprint.values()]),
      removed: Object.freeze([...removed.values()]),
      revision,
    };
    this.#snapshot = snapshot;
    return snapshot;
  }
}

function dedupe(certs: readonly ParsedCertificate[]): ParsedCertificate[] {
  const seen = new Set<string>();
  return certs.filter((c) => !seen.has(c.fingerprint) && (seen.add(c.fingerprint), true));
}
