/**
 * Durations as people write them in scenarios: "90d", "24h", "-619315200s", "1y", "1.5h", "250ms".
 * A year is 365 days and a month 30 days: scenario durations describe policies, not calendars.
 */
const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  mo: 30 * 86_400_000,
  y: 365 * 86_400_000,
} as const;

const DURATION = /^(-?\d+(?:\.\d+)?)(ms|s|m|h|d|w|mo|y)$/;

export const DURATION_HINT = 'a duration such as "90d", "24h", "30m", "15s" or "-619315200s"';

/** Parses a duration to milliseconds; returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MS];
  return Math.round(Number(amount) * UNIT_MS[unit]);
}

/** Formats milliseconds with the largest unit that divides them exactly ("36h", "90d", "1500ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units: (keyof typeof UNIT_MS)[] = ['d', 'h', 'm', 's'];
  for (const unit of units) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

export const MS_PER_DAY = UNIT_MS.d;
export const MS_PER_HOUR = UNIT_MS.h;
