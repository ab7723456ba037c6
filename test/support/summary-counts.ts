/**
 * A run's summary.json without its wall-clock figures (latencies, wall time, rates, pacing lag, and the thresholds
 * judged on them): what is left is every count and every simulated time, which the same scenario and seed must
 * reproduce exactly on any placement and under any load.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Keys whose values are measured in wall time, wherever they appear in the summary; and where the broker listened
 * (broker.listen: its address and port are placement, not outcome).
 */
const WALL_CLOCK_KEYS = new Set(['latencyMs', 'perWallSecond', 'throughputPerWallSecond', 'harness', 'thresholds', 'thresholdsPassed', 'listen']);

export function summaryCounts(runDir: string): Record<string, unknown> {
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
  const counts = withoutWallClock(summary) as Record<string, unknown>;
  // `wall` holds the run's wall seconds next to the number of epochs, which is simulated.
  const wall = summary.wall as { epochs: number };
  counts.wall = { epochs: wall.epochs };
  return counts;
}

function withoutWallClock(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutWallClock);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => !WALL_CLOCK_KEYS.has(key))
      .map(([key, inner]) => [key, withoutWallClock(inner)]),
  );
}
