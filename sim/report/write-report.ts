import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRunData } from './report-data.js';
import { renderReport } from './render-report.js';
import { renderSessionReport } from './render-session-report.js';
import { isSessionFolder, loadSessionData } from './session-data.js';

/**
 * Reads a run folder, or the export folder of a `certfleet broker` session (decisions.ndjson and no summary.json), and
 * writes its report.html next to its files; returns the file written.
 */
export async function writeReport(dir: string): Promise<string> {
  const file = join(dir, 'report.html');
  const page = isSessionFolder(dir) ? renderSessionReport(loadSessionData(dir)) : renderReport(loadRunData(dir));
  await writeFile(file, page);
  return file;
}
