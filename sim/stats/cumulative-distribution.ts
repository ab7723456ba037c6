import type { Histogram } from 'hdr-histogram-js';

/**
 * The cumulative distribution as HdrHistogram reports it (value, count at or below it), for charts that rebin it.
 * Five ticks per half distance keep it to about a hundred points.
 */
export function cumulativeDistribution(histogram: Histogram): { ms: number; cumulative: number }[] {
  if (histogram.totalCount === 0) return [];
  const points: { ms: number; cumulative: number }[] = [];
  // Rows of "value percentile totalCount 1/(1-percentile)"; header and "#[Mean ..." footer lines do not parse.
  for (const line of histogram.outputPercentileDistribution(5, 1).split('\n')) {
    const [value, , total] = line.trim().split(/\s+/);
    const ms = Number(value);
    const cumulative = Number(total);
    if (line.trim() === '' || !Number.isFinite(ms) || !Number.isInteger(cumulative)) continue;
    if (points.at(-1)?.ms === ms) points.pop();
    points.push({ ms, cumulative });
  }
  return points;
}
