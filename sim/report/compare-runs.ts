import type { RunData } from './report-data.js';

/**
 * Two runs side by side: every numeric figure of summary.json under a dotted path, with the difference. The lists
 * (availability samples, activity, markers, the unrecovered devices, the latency distribution, the audits' per-sample
 * series and resources) are curves and inventories, not figures: the compare page draws the availability curves
 * instead, and the lists are skipped. Thresholds are the exception: a short list, keyed by threshold name.
 */

/** Figure path -> value, in the order summary.json lists them. */
export type Figures = Map<string, number>;

export interface FigureComparison {
  figure: string;
  a: number | undefined;
  b: number | undefined;
  /** b - a, when both runs have the figure. */
  delta: number | undefined;
  /** delta relative to a, in percent; undefined when a is 0 (and b is not) or a figure is missing. */
  deltaPercent: number | undefined;
  changed: boolean;
  /** The figure exists in one run only (a cause one run never saw, a cohort only one scenario has). */
  onlyIn: 'a' | 'b' | undefined;
}

/** Every figure of two loaded runs, compared. */
export function compareRuns(a: Pick<RunData, 'rawSummary'>, b: Pick<RunData, 'rawSummary'>): FigureComparison[] {
  return compareFigures(flattenFigures(a.rawSummary), flattenFigures(b.rawSummary));
}

export function flattenFigures(summary: unknown): Figures {
  const figures: Figures = new Map();
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'number' && Number.isFinite(value)) figures.set(path, value);
    else if (Array.isArray(value)) return;
    else if (value !== null && typeof value === 'object') for (const [key, inner] of Object.entries(value)) walk(inner, join(path, key));
  };
  if (summary === null || typeof summary !== 'object') return figures;
  for (const [key, value] of Object.entries(summary)) {
    if (key === 'thresholds' && Array.isArray(value)) {
      for (const t of value as { name?: unknown; expected?: unknown; actual?: unknown }[]) {
        const at = `thresholds[${JSON.stringify(String(t.name))}]`;
        walk(t.expected, `${at}.expected`);
        walk(t.actual, `${at}.actual`);
      }
    } else walk(value, key);
  }
  return figures;
}

/** Every figure of either run, in A's order with B's own figures placed after their neighbour in B. */
export function compareFigures(a: Figures, b: Figures): FigureComparison[] {
  const order = [...a.keys()];
  let previous: string | undefined;
  for (const key of b.keys()) {
    if (!a.has(key)) order.splice(previous === undefined ? order.length : order.indexOf(previous) + 1, 0, key);
    previous = key;
  }
  return order.map((figure) => {
    const va = a.get(figure);
    const vb = b.get(figure);
    if (va === undefined || vb === undefined) {
      return { figure, a: va, b: vb, delta: undefined, deltaPercent: undefined, changed: true, onlyIn: va === undefined ? 'b' : 'a' };
    }
    // Twelve significant digits: 0.3 - 0.1 is a change of 0.2, not 0.19999999999999998.
    const delta = Number((vb - va).toPrecision(12));
    const deltaPercent = va !== 0 ? (delta / Math.abs(va)) * 100 : delta === 0 ? 0 : undefined;
    return { figure, a: va, b: vb, delta, deltaPercent, changed: va !== vb, onlyIn: undefined };
  });
}

/** "failures.byCause.device:expired_root.count"; a key with dots or spaces in brackets: thresholds["a b"]. */
function join(path: string, key: string): string {
  const part = /^[\w:-]+$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return path === '' ? part.replace(/^\./, '') : `${path}${part}`;
}
