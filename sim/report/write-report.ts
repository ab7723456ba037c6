import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRunData } from './report-data.js';
import { renderReport } from './render-report.js';

/** Reads a run folder and writes its report.html next to summary.json; returns the file written. */
export async function writeReport(dir: string): Promise<string> {
  const file = join(dir, 'report.html');
  await writeFile(file, renderReport(loadRunData(dir)));
  return file;
}
