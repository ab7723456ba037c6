import type { FigureComparison } from './compare-runs.js';

/** The cells of one comparison row as both the terminal table and compare.html show them. */
export interface ComparisonCells {
  figure: string;
  a: string;
  b: string;
  delta: string;
  deltaPercent: string;
}

export function comparisonCells(row: FigureComparison): ComparisonCells {
  return {
    figure: row.figure,
    a: row.a === undefined ? '—' : formatFigure(row.a),
    b: row.b === undefined ? '—' : formatFigure(row.b),
    delta: row.onlyIn === 'a' ? 'only in A' : row.onlyIn === 'b' ? 'only in B' : signed(row.delta ?? 0),
    deltaPercent:
      row.onlyIn !== undefined ? '' : row.deltaPercent === undefined ? 'new' : `${row.deltaPercent > 0 ? '+' : ''}${Number(row.deltaPercent.toFixed(1))}%`,
  };
}

/**
 * A plain-text table, "*" in the first column marking the figures that differ. No colour: the output is as often
 * piped into a CI log as read on a terminal.
 */
export function comparisonTable(rows: readonly FigureComparison[]): string {
  const header: ComparisonCells = { figure: 'figure', a: 'A', b: 'B', delta: 'delta', deltaPercent: 'delta %' };
  const cells = rows.map(comparisonCells);
  const width = (key: keyof ComparisonCells) => Math.max(...[header, ...cells].map((c) => c[key].length));
  const widths = { figure: width('figure'), a: width('a'), b: width('b'), delta: width('delta'), deltaPercent: width('deltaPercent') };
  const line = (mark: string, c: ComparisonCells) =>
    `${mark} ${c.figure.padEnd(widths.figure)}  ${c.a.padStart(widths.a)}  ${c.b.padStart(widths.b)}  ${c.delta.padStart(widths.delta)}  ${c.deltaPercent.padStart(widths.deltaPercent)}`.trimEnd();
  const changed = rows.filter((r) => r.changed).length;
  return [
    line(' ', header),
    ...cells.map((c, i) => line(rows[i]?.changed ? '*' : ' ', c)),
    `${changed} of ${rows.length} figures differ (marked *)`,
  ].join('\n');
}

/** Up to four decimals, thousands grouped: 1,142 / 0.6842 / 56. */
export function formatFigure(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 4 });
}

function signed(value: number): string {
  return value > 0 ? `+${formatFigure(value)}` : formatFigure(value);
}
