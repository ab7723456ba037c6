import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareRuns } from '../sim/report/compare-runs.js';
import { comparisonTable } from '../sim/report/compare-table.js';
import { loadRunData, type RunData } from '../sim/report/report-data.js';
import { renderCompare } from '../sim/report/render-compare.js';
import { EXIT } from './exit-codes.js';
import { exitForInputError } from './input-error-exit.js';

export interface CompareArguments {
  runA: string;
  runB: string;
  /** The page to write; default <run-b>/compare.html. */
  out?: string | undefined;
}

/**
 * `certfleet compare <run-a> <run-b>`: every figure of both summaries with its delta, as a table on stdout and as a
 * page with both availability curves.
 */
export async function compareCommand(args: CompareArguments): Promise<number> {
  let a: RunData;
  let b: RunData;
  try {
    a = loadRunData(args.runA);
    b = loadRunData(args.runB);
  } catch (error) {
    return exitForInputError(error);
  }
  const rows = compareRuns(a, b);
  const out = args.out ?? join(args.runB, 'compare.html');
  try {
    await writeFile(out, renderCompare(a, b, rows));
  } catch (error) {
    process.stderr.write(`certfleet: --out ${out}: cannot write the page (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`);
    return EXIT.invalidInput;
  }
  process.stdout.write(`A: ${a.dir}\nB: ${b.dir}\n${comparisonTable(rows)}\ncompare: ${out}\n`);
  return EXIT.ok;
}
