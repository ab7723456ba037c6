import { writeReport } from '../sim/report/write-report.js';
import { EXIT } from './exit-codes.js';
import { exitForInputError } from './input-error-exit.js';

/**
 * `certfleet report <dir>`: (re)writes <dir>/report.html from a run's summary.json and manifest.json, or from the
 * decisions.ndjson and session.json of a `certfleet broker` session.
 */
export async function reportCommand(runDir: string): Promise<number> {
  try {
    const file = await writeReport(runDir);
    process.stdout.write(`report: ${file}\n`);
    return EXIT.ok;
  } catch (error) {
    return exitForInputError(error);
  }
}

/**
 * report.html at the end of `certfleet run`, partial runs included. A report that cannot be written is said on
 * stderr and never changes the run's exit code: the run's own files are already there.
 */
export async function writeReportAfterRun(runDir: string): Promise<string | undefined> {
  try {
    return await writeReport(runDir);
  } catch (error) {
    process.stderr.write(`certfleet: report.html not written: ${(error as Error).message}\n`);
    return undefined;
  }
}
