import { build, decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { addCohortCounters, emptyCohortCounters, type CohortCounters } from '../sim/stats/fleet-counters.js';
import type { EncodedHistograms } from '../sim/stats/encoded-histograms.js';

/** A shard's latest statistics message: its counters so far and its latency histograms. */
export interface ShardStats {
  shard: number;
  counters: CohortCounters[];
  histograms: EncodedHistograms;
}

/**
 * The latest statistics of every shard, wherever it runs: each message replaces its shard's previous one (they are
 * running totals), and the fleet's figures are their sum.
 */
export class StatsTally {
  readonly #stats = new Map<number, ShardStats>();

  readonly onStats = (message: ShardStats): void => {
    this.#stats.set(message.shard, message);
  };

  merged(): { counters: CohortCounters; connect: Histogram; rotation: Histogram } {
    const counters = emptyCohortCounters();
    const connect = build();
    const rotation = build();
    for (const s of this.#stats.values()) {
      s.counters.forEach((c) => addCohortCounters(counters, c));
      connect.add(decodeFromCompressedBase64(s.histograms.connectLatencyMs));
      rotation.add(decodeFromCompressedBase64(s.histograms.rotationLatencyMs));
    }
    return { counters: structuredClone(counters), connect, rotation };
  }
}
