import { build } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { binIndexOf, latencyHistogram } from '../../sim/report/latency-histogram.js';
import { cumulativeDistribution } from '../../sim/stats/cumulative-distribution.js';

/** rotations.latencyMs.distribution of a 50-device root-expiry-2030 run. */
const REAL = [
  { ms: 8, cumulative: 1 },
  { ms: 9, cumulative: 6 },
  { ms: 14, cumulative: 16 },
  { ms: 16, cumulative: 25 },
  { ms: 17, cumulative: 28 },
  { ms: 18, cumulative: 30 },
  { ms: 19, cumulative: 33 },
  { ms: 20, cumulative: 36 },
  { ms: 21, cumulative: 37 },
  { ms: 24, cumulative: 40 },
  { ms: 25, cumulative: 41 },
  { ms: 26, cumulative: 44 },
  { ms: 29, cumulative: 45 },
  { ms: 31, cumulative: 47 },
  { ms: 33, cumulative: 49 },
  { ms: 38, cumulative: 50 },
  { ms: 46, cumulative: 51 },
  { ms: 68, cumulative: 52 },
];

/** The distribution as summary.json writes it, from an HdrHistogram of `values`. */
function hdrDistribution(values: number[]): { ms: number; cumulative: number }[] {
  const histogram = build();
  for (const v of values) histogram.recordValue(v);
  return cumulativeDistribution(histogram);
}

describe('rebinning the latency distribution into log-spaced bins', () => {
  it('keeps every rotation: the bins add up to the distribution\'s total', () => {
    const bins = latencyHistogram(REAL);
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(52);
    expect(bins.every((b) => Number.isInteger(b.count) && b.count >= 0)).toBe(true);
  });

  it('uses contiguous bins of one constant ratio (eight per decade), from the lowest value to the highest', () => {
    const bins = latencyHistogram(REAL);
    for (let i = 1; i < bins.length; i += 1) expect(bins[i]?.fromMs).toBe(bins[i - 1]?.toMs);
    for (const b of bins) expect(b.toMs / b.fromMs).toBeCloseTo(10 ** (1 / 8), 2);
    expect(bins[0]?.fromMs).toBeLessThan(8);
    expect(bins[0]?.toMs).toBeGreaterThanOrEqual(8);
    expect(bins.at(-1)?.toMs).toBeGreaterThanOrEqual(68);
    expect(bins.at(-1)?.fromMs).toBeLessThan(68);
  });

  it('puts the slowest rotation (the max, 68 ms) in the last bin instead of smearing it toward the body', () => {
    const bins = latencyHistogram(REAL);
    expect(bins.at(-1)?.count).toBe(1);
    expect(binIndexOf(bins, 68)).toBe(bins.length - 1);
  });

  it('keeps a timeout mode apart from the body: 95 rotations near 50 ms and 5 at 30 s, nothing in between', () => {
    const values = [...Array.from({ length: 95 }, (_, i) => 45 + (i % 10)), ...Array.from({ length: 5 }, () => 30_000)];
    const bins = latencyHistogram(hdrDistribution(values));
    const body = bins.filter((b) => b.toMs <= 100).reduce((a, b) => a + b.count, 0);
    const timeouts = bins.filter((b) => b.fromMs >= 20_000).reduce((a, b) => a + b.count, 0);
    expect(body).toBe(95);
    expect(timeouts).toBe(5);
    expect(bins.filter((b) => b.fromMs > 100 && b.toMs < 20_000).every((b) => b.count === 0)).toBe(true);
    // Four decades at eight bins per decade, not one bar per millisecond.
    expect(bins.length).toBeGreaterThan(20);
    expect(bins.length).toBeLessThan(40);
  });

  it('has nothing to draw when no rotation completed', () => {
    expect(latencyHistogram([])).toEqual([]);
  });

  it('finds the bar of a percentile on the same rounded edges the counts used', () => {
    const bins = latencyHistogram([
      { ms: 10, cumulative: 4 },
      { ms: 178, cumulative: 9 },
    ]);
    const tenth = bins[binIndexOf(bins, 10)];
    expect(tenth?.count).toBe(4);
    expect(tenth?.toMs).toBe(10);
    expect(bins[binIndexOf(bins, 178)]?.count).toBe(5);
  });
});
