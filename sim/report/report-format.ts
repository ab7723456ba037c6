/** How reports write times, shares and counts, so the headline, the pages and the terminal agree. */

/** "2030-01-01T00:00Z", with seconds only when the instant has them ("2021-09-30T14:01:15Z"). */
export function formatInstant(t: number | string): string {
  const iso = new Date(t).toISOString();
  return iso.slice(17, 23) === '00.000' ? `${iso.slice(0, 16)}Z` : `${iso.slice(0, 19)}Z`;
}

/**
 * A share of the fleet as a percentage with one decimal ("12.4%"). A share too small for one decimal keeps two
 * significant digits ("0.01%"), so one device of 10,000 never reads as "0.0%".
 */
export function formatShare(share: number): string {
  const percent = share * 100;
  if (percent === 0 || Math.abs(percent) >= 0.1) return `${percent.toFixed(1)}%`;
  return `${Number(percent.toPrecision(2))}%`;
}

/** "10,000" */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 device", "3 devices" */
export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}
