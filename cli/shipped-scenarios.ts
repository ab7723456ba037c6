import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The scenarios folder that ships with certfleet (beside dist/ and cli/ alike). */
const SCENARIOS = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../scenarios/' : '../scenarios/', import.meta.url));

/**
 * The shipped scenarios, one line each ("scenarios/daa-24h.yaml  Azure Sphere's 24-hour ..."): the first sentence of
 * each file's description, read with a pattern rather than the YAML parser so `run --help` stays instant.
 */
export function shippedScenarioLines(): string[] {
  let files: string[];
  try {
    files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort();
  } catch {
    return [];
  }
  const width = Math.max(...files.map((f) => f.length)) + 'scenarios/'.length;
  return files.map((file) => {
    const text = readFileSync(`${SCENARIOS}${file}`, 'utf8');
    const first = /^description: \|?\s*\n?\s*(.+)$/m.exec(text)?.[1] ?? '';
    // The first sentence, without the sources in parentheses that follow it on the first line.
    const sentence = first.replace(/\s*\(.*$/, '').replace(/[.:;]\s.*$/, '').replace(/[.:;,]$/, '');
    return `  ${`scenarios/${file}`.padEnd(width)}  ${sentence}`;
  });
}
