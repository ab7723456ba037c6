import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitCommit, packageVersion } from '../sim/results/manifest.js';

/** What every suite's JSON starts with: which suite, when, the command that reproduces it, and which certfleet. */
export function benchHeader(suite: string, title: string) {
  return {
    benchmark: title,
    suite,
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    tool: { version: packageVersion(), commit: gitCommit() },
  };
}

/** Writes a suite's JSON as results/bench/<date>-<suite>.json (or under --out) and says where. */
export function writeBenchJson(outDir: string, header: { date: string; suite: string }, result: object): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${header.date.replace(/[:.]/g, '-')}-${header.suite}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
