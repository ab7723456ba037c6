/** One bar of a latency histogram: how many values fell in (fromMs, toMs]. */
export interface LatencyBin {
  fromMs: number;
  toMs: number;
  count: number;
}

/** Eight bins per decade: 1, 1.33, 1.78, 2.37, 3.16, 4.22, 5.62, 7.5, 10 ms... fine enough to see two modes apart. */
export const BINS_PER_DECADE = 8;

/**
 * Rebins HdrHistogram's cumulative distribution (summary.json rotations.latencyMs.distribution: at each value, how
 * many were at most that value) into log-spaced bins. Latencies span decades (a 50 ms rotation, a 30 s timeout), so
 * equal-width bins would crush all but one mode into a single bar.
 *
 * The count between two points goes to the bin of the upper point: that is a value HdrHistogram's percentile
 * iteration reached, while nothing says where the others between the points lie. Spreading them evenly would smear a
 * timeout mode (5% of rotations at 30 s) over the decades between it and the body; this keeps it where it was measured.
 * Bins between points stay empty: the histogram is as fine as the distribution, no finer.
 */
export function latencyHistogram(distribution: readonly { ms: number; cumulative: number }[], binsPerDecade = BINS_PER_DECADE): LatencyBin[] {
  const last = distribution.at(-1);
  if (!last || last.cumulative === 0) return [];
  // Bin k is (edge(k), edge(k + 1)]: a fixed grid, so two runs' histograms line up bin for bin. Values below 1 ms
  // share the bin that ends at 1 ms.
  const binOf = (ms: number) => {
    const value = Math.max(ms, 1);
    let k = Math.floor(Math.log10(value) * binsPerDecade);
    // The edges are rounded for display; the rounded edges decide, so binIndexOf agrees with the counts.
    while (value <= edge(k, binsPerDecade)) k -= 1;
    while (value > edge(k + 1, binsPerDecade)) k += 1;
    return k;
  };
  const low = Math.min(...distribution.map((p) => binOf(p.ms)));
  const high = Math.max(...distribution.map((p) => binOf(p.ms)));
  const bins: LatencyBin[] = [];
  for (let k = low; k <= high; k += 1) bins.push({ fromMs: edge(k, binsPerDecade), toMs: edge(k + 1, binsPerDecade), count: 0 });
  let below = 0;
  for (const point of distribution) {
    const bin = bins[binOf(point.ms) - low];
    if (bin) bin.count += point.cumulative - below;
    below = point.cumulative;
  }
  return bins;
}

/** The bin a value falls in (fromMs, toMs] (below 1 ms: the first), or -1 outside the histogram. */
export function binIndexOf(bins: readonly LatencyBin[], ms: number): number {
  const value = Math.max(ms, 1);
  return bins.findIndex((b) => value > b.fromMs && value <= b.toMs);
}

/** 10^(k/perDecade), rounded to three significant digits so labels read 1.78 ms, not 1.7782794100389228. */
function edge(k: number, perDecade: number): number {
  return Number((10 ** (k / perDecade)).toPrecision(3));
}
