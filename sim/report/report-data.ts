import { join } from 'node:path';
import type { z } from 'zod';
import { readBoundedFile, UnreadableFileError } from '../input/read-bounded-file.js';
import { UserInputError } from '../input/user-input-error.js';
import { formatPath } from '../scenario/load-scenario.js';
import { describeInput } from '../scenario/primitives.js';
import { runSummarySchema, type PublishedRunSummary } from '../results/summary-schema.js';
import { manifestSchema, type ReportManifest } from './manifest-schema.js';

/** A run folder a report cannot be made from: which file, and every problem found in it (field by field). */
export class ReportInputError extends UserInputError {
  constructor(file: string, problems: readonly string[]) {
    super(file, problems);
    this.name = 'ReportInputError';
  }
}

/** One finished (or stopped) run, as reports see it. */
export interface RunData {
  /** The run folder as the user named it. */
  dir: string;
  summary: PublishedRunSummary;
  manifest: ReportManifest;
  /** summary.json exactly as written, for comparisons that look at every figure. */
  rawSummary: Record<string, unknown>;
}

/** At most this many field problems are listed: a file from another tool would otherwise print hundreds. */
const MAX_PROBLEMS = 12;

/**
 * A run's summary.json holds one row per availability sample (at most 100,000, sim/scenario/timeline-size.ts), about
 * 1 KiB each; a manifest is under 1 KiB. Larger files are not a run's and are refused before they are read.
 */
const MAX_SUMMARY_BYTES = 512 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Reads and checks `<dir>/summary.json` and `<dir>/manifest.json`; throws a ReportInputError naming file and field. */
export function loadRunData(dir: string): RunData {
  const summaryFile = join(dir, 'summary.json');
  const rawSummary = readJson(summaryFile, dir, MAX_SUMMARY_BYTES);
  // The published schema of summary.json (docs/summary.schema.json): what a report draws is what the run wrote.
  const summary = checked(runSummarySchema, rawSummary, summaryFile);
  const manifest = loadManifest(dir);
  return { dir, summary, manifest, rawSummary: rawSummary as Record<string, unknown> };
}

/** Reads and checks `<dir>/manifest.json` (what `repro` needs: the scenario file, the seed, the fleet size). */
export function loadManifest(dir: string): ReportManifest {
  const manifestFile = join(dir, 'manifest.json');
  return checked(manifestSchema, readJson(manifestFile, dir, MAX_MANIFEST_BYTES), manifestFile);
}

function readJson(file: string, dir: string, maxBytes: number): unknown {
  let text: string;
  try {
    text = readBoundedFile(file, maxBytes).toString('utf8');
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    throw new ReportInputError(file, [error.reason === 'no such file' ? `no such file (is ${dir} a run folder written by certfleet run?)` : error.reason]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ReportInputError(file, [`not valid JSON (${(error as Error).message})`]);
  }
}

/** The value as the schema reads it, or a ReportInputError listing the file's problems field by field. */
export function checked<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue);
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
  throw new ReportInputError(file, shown);
}

/** "availability.samples[3].connected: expected a number, got "high"" */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path.map((p) => (typeof p === 'number' ? p : String(p))));
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? `${path}: missing (expected ${issue.expected})` : `${path}: expected ${issue.expected}, got ${describeInput(issue.input)}`;
  }
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${path === '(top level)' ? key : `${path}.${key}`}: unknown key (not in docs/summary.schema.json; written by another certfleet version?)`).join('; ');
  if (issue.code === 'invalid_value') return `${path}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeInput(issue.input)}`;
  return `${path}: ${issue.message}${'input' in issue && issue.input !== undefined ? `, got ${describeInput(issue.input)}` : ''}`;
}
