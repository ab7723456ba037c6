/**
 * What a device's (or the broker's, or the CA's) clock reads at a given true time.
 *
 * The reading is piecewise linear in true time. Absolute anchors set it: the start of the run, a boot that resets
 * the real-time clock, a time sync. Between anchors it runs at (1 + driftPpm / 1e6) times true time, and scheduled
 * jumps add to it (a GPS week-number rollover jumps back 1024 weeks).
 */
export interface ClockModel {
  /** A persistent bias: the clock reads true time plus this after start and after every sync. */
  offsetMs: number;
  /** Rate error in parts per million; positive runs fast. 1 ppm is 86.4 ms a day. */
  driftPpm: number;
  /** What a boot does to the clock; absent: boots keep the time (a battery-backed RTC). */
  boot?: BootBehaviour | undefined;
  /** A periodic sync to true time (NTP), counted from the run start; absent: never. */
  syncEveryMs?: number | undefined;
  /** One-off jumps at true times. */
  jumps: readonly ClockJump[];
}

export interface BootBehaviour {
  /** The reading right after power-on: 1970-01-01 for a dead RTC battery, the firmware build time for some stacks. */
  resetTo: number;
  /** Delay after boot until the first time sync; undefined: the sync never arrives. */
  syncAfterMs?: number | undefined;
}

export interface ClockJump {
  at: number;
  byMs: number;
}

interface Anchor {
  at: number;
  reading: number;
}

export class DeviceClock {
  readonly model: ClockModel;
  readonly #start: number;
  readonly #rate: number;
  /** Boot resets and the syncs that follow them, in true-time order. */
  readonly #bootAnchors: Anchor[] = [];
  readonly #jumps: readonly ClockJump[];
  #lastBoot = -Infinity;

  constructor(model: ClockModel, start: number) {
    this.model = model;
    this.#start = start;
    this.#rate = 1 + model.driftPpm / 1e6;
    this.#jumps = [...model.jumps].sort((a, b) => a.at - b.at);
  }

  /** Records a power-on at true time t (boots arrive in time order). */
  boot(t: number): void {
    const behaviour = this.model.boot;
    if (!behaviour) return;
    if (t < this.#lastBoot) throw new RangeError('device boots must be recorded in time order');
    this.#lastBoot = t;
    // A sync still pending from an earlier boot never happens: this boot cut it short.
    while ((this.#bootAnchors.at(-1)?.at ?? -Infinity) > t) this.#bootAnchors.pop();
    this.#bootAnchors.push({ at: t, reading: behaviour.resetTo });
    if (behaviour.syncAfterMs !== undefined) {
      const syncAt = t + behaviour.syncAfterMs;
      this.#bootAnchors.push({ at: syncAt, reading: syncAt + this.model.offsetMs });
    }
  }

  /** The clock's reading at true time t. */
  read(t: number): number {
    const anchor = this.#lastAnchor(t);
    let reading = anchor.reading + (t - anchor.at) * this.#rate;
    for (const jump of this.#jumps) {
      if (jump.at > t) break;
      if (jump.at > anchor.at) reading += jump.byMs;
    }
    return reading;
  }

  /** Reading minus true time at t: negative when the clock is behind. */
  skew(t: number): number {
    return this.read(t) - t;
  }

  /**
   * The earliest true time at or after `from` when the reading reaches `target`, or undefined when it never does
   * before `until`. Used to schedule "renew when my clock says so" in true time.
   */
  trueTimeWhenReading(target: number, from: number, until: number): number | undefined {
    let t = from;
    for (let guard = 0; guard < 10_000 && t <= until; guard += 1) {
      const reading = this.read(t);
      if (reading >= target) return t;
      const change = this.nextChangeAfter(t);
      // Within a linear piece the reading grows at #rate per ms of true time.
      const reachAt = t + Math.ceil((target - reading) / this.#rate);
      if (change === undefined || reachAt < change) return reachAt <= until ? reachAt : undefined;
      t = this.#skipPeriodicSyncs(t, target) ?? change;
    }
    return undefined;
  }

  /**
   * Between t and the target only periodic syncs happen (no boot, no jump)? Then every sync resets the reading to
   * true time plus the offset, so the target falls in the sync period that starts at the last sync before
   * target - offset: jump there instead of stepping one sync at a time (an hourly sync is 8,760 steps a year).
   * A fast clock may read the target a little before that sync; being at most one sync period late is accepted.
   */
  #skipPeriodicSyncs(t: number, target: number): number | undefined {
    const every = this.model.syncEveryMs;
    if (every === undefined) return undefined;
    const estimate = target - this.model.offsetMs;
    const lastSync = this.#start + Math.floor((estimate - this.#start) / every) * every;
    if (lastSync <= t) return undefined;
    const otherChange = Math.min(
      this.#bootAnchors.find((a) => a.at > t)?.at ?? Number.POSITIVE_INFINITY,
      this.#jumps.find((j) => j.at > t)?.at ?? Number.POSITIVE_INFINITY,
    );
    return otherChange <= lastSync ? undefined : lastSync;
  }

  /** The next true time after t when the reading changes other than by running: a sync, jump or boot anchor. */
  nextChangeAfter(t: number): number | undefined {
    const candidates: number[] = [];
    const bootAnchor = this.#bootAnchors.find((a) => a.at > t);
    if (bootAnchor) candidates.push(bootAnchor.at);
    const jump = this.#jumps.find((j) => j.at > t);
    if (jump) candidates.push(jump.at);
    const every = this.model.syncEveryMs;
    if (every !== undefined) candidates.push(this.#start + (Math.floor((t - this.#start) / every) + 1) * every);
    return candidates.length > 0 ? Math.min(...candidates) : undefined;
  }

  #lastAnchor(t: number): Anchor {
    let anchor: Anchor = { at: this.#start, reading: this.#start + this.model.offsetMs };
    for (const candidate of this.#bootAnchors) {
      if (candidate.at > t) break;
      anchor = candidate;
    }
    const every = this.model.syncEveryMs;
    if (every !== undefined && t >= this.#start) {
      const syncAt = this.#start + Math.floor((t - this.#start) / every) * every;
      if (syncAt > anchor.at) anchor = { at: syncAt, reading: syncAt + this.model.offsetMs };
    }
    return anchor;
  }
}
