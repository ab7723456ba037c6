import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { isNode, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';
import { readBoundedFile, UnreadableFileError } from '../input/read-bounded-file.js';
import { importAuthorityFiles } from './authority-files.js';
import type { BrokerTargetName } from './broker-target-schema.js';
import { checkBundles } from './check-bundles.js';
import { checkCertificateTimes } from './check-certificate-times.js';
import { checkReferences, type ScenarioProblem } from './check-references.js';
import { describeInput } from './primitives.js';
import { readYaml } from './read-yaml.js';
import { resolveExternalBrokerPaths } from './external-broker-files.js';
import { resolveScenarioPaths } from './resolve-paths.js';
import { resolveTimeline } from './resolve-timeline.js';
import { ScenarioError } from './scenario-error.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { targetRefusals } from './target-support.js';
import { checkTimelineSize, timelineWarnings } from './timeline-size.js';

export { ScenarioError } from './scenario-error.js';

/** Shipped scenarios are under 10 KiB; a scenario file is refused above this before it is read. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
  /** SHA-256 of the file's bytes, for the run manifest. */
  sha256: string;
  /** What the scenario asks that certfleet can do, but slowly (a timeline of many epochs), said before it starts. */
  warnings: string[];
}

/** What the command line changes in a scenario before it is checked. */
export interface ScenarioOverrides {
  /** `--broker`: the broker target, instead of the scenario's broker.target. */
  target?: BrokerTargetName | undefined;
  /** Where a timeline that starts "now" starts (ms since the Unix epoch); default the host clock's now. */
  now?: number | undefined;
}

export function loadScenario(file: string, overrides: ScenarioOverrides = {}): LoadedScenario {
  let bytes: Buffer;
  try {
    bytes = readBoundedFile(file, MAX_SCENARIO_BYTES);
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new ScenarioError(file, [error.reason]);
    throw error;
  }
  const scenario = parseScenario(bytes.toString('utf8'), file, overrides);
  return { file, scenario, sha256: createHash('sha256').update(bytes).digest('hex'), warnings: timelineWarnings(scenario) };
}

/**
 * Parses and checks scenario text; `file` names the source in messages, and the files the scenario names are
 * relative to its folder (`baseDir`, default: the folder of `file`). The broker target (`overrides.target` or the
 * scenario's) is checked for what it cannot do.
 */
export function parseScenario(text: string, file: string, options: { baseDir?: string } & ScenarioOverrides = {}): Scenario {
  const { document, lineCounter, value } = readYaml(text, file);
  const result = scenarioSchema.safeParse(value, { reportInput: true });
  let problems: ScenarioProblem[];
  let scenario: Scenario | undefined;
  if (!result.success) {
    problems = result.error.issues.flatMap(toProblems);
  } else {
    const resolved = resolveTimeline(result.data, options.now ?? Date.now());
    scenario = resolved.scenario;
    if (options.target !== undefined) scenario.broker.target = options.target;
    const baseDir = options.baseDir ?? dirname(file);
    resolveExternalBrokerPaths(scenario, baseDir);
    problems =
      resolved.problems.length > 0
        ? resolved.problems
        : [
            ...checkReferences(scenario),
            ...checkTimelineSize(scenario),
            ...checkCertificateTimes(scenario),
            ...resolveScenarioPaths(scenario, baseDir),
            // After resolveScenarioPaths: it makes the bundle paths absolute.
            ...checkBundles(scenario),
            ...importAuthorityFiles(scenario, value, baseDir),
            ...targetRefusals(scenario, value, { target: scenario.broker.target, fromCommandLine: options.target !== undefined }),
          ];
  }
  if (problems.length > 0 || scenario === undefined) {
    const located = problems.map((p) => ({ ...locate(document, lineCounter, p.path), problem: p }));
    located.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ScenarioError(
      file,
      located.map(({ line, col, problem }) => `${line > 0 ? `line ${line}, column ${col}: ` : ''}${formatPath(problem.path)}: ${problem.message}`),
    );
  }
  return scenario;
}

function toProblems(issue: z.core.$ZodIssue): ScenarioProblem[] {
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown key (not part of the scenario schema)' }));
    case 'invalid_type':
      if (issue.input === undefined) return [{ path, message: `required: expected ${article(issue.expected)}` }];
      if (issue.message.startsWith('expected')) return [{ path, message: issue.message }];
      return [{ path, message: `expected ${article(issue.expected)}, got ${describeInput(issue.input)}` }];
    case 'too_small':
      return [{ path, message: tooSmall(issue) }];
    case 'too_big':
      return [{ path, message: tooBig(issue) }];
    case 'invalid_value':
      return [{ path, message: `expected ${oneOf(issue.values.map((v) => JSON.stringify(v)))}, got ${describeInput(issue.input)}` }];
    case 'invalid_format':
      return [{ path, message: issue.message.startsWith('expected') ? issue.message : `expected ${issue.format}, got ${describeInput(issue.input)}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** "a", "b" or "c" */
function oneOf(options: string[]): string {
  return options.length <= 1 ? (options[0] ?? '') : `${options.slice(0, -1).join(', ')} or ${options.at(-1) ?? ''}`;
}

function tooSmall(issue: z.core.$ZodIssueTooSmall): string {
  if (issue.origin === 'array') return `expected at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
  if (issue.origin === 'string') {
    return issue.exact ? `expected exactly ${issue.minimum} characters` : 'expected a non-empty text';
  }
  return `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${describeInput(issue.input)}`;
}

function tooBig(issue: z.core.$ZodIssueTooBig): string {
  if (issue.origin === 'array') return `expected at most ${issue.maximum} item${issue.maximum === 1 ? '' : 's'}`;
  if (issue.origin === 'string') return `expected at most ${issue.maximum} characters`;
  return `expected a number <= ${issue.maximum}, got ${describeInput(issue.input)}`;
}

function article(expected: string): string {
  const nouns: Record<string, string> = {
    number: 'a number',
    int: 'a whole number',
    string: 'a text',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping',
  };
  return nouns[expected] ?? expected;
}

/** "fleet.cohorts[2].clock.driftPpm" */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  // A key that is not a plain word (an empty or blank key, one with dots or spaces) is quoted, so the path stays readable.
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : !/^[A-Za-z_$][\w$-]*$/.test(p) ? `[${JSON.stringify(p)}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Line and column of the deepest part of the path that exists in the document; line 0 when none does. */
function locate(document: Document, lineCounter: LineCounter, path: readonly (string | number)[]): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const prefix = path.slice(0, depth);
    const node = prefix.length === 0 ? document.contents : document.getIn(prefix, true);
    const keyNode = depth === path.length && depth > 0 ? findKeyNode(document, prefix) : undefined;
    const range = (keyNode ?? node) as { range?: [number, number, number] } | undefined;
    if (isNode(keyNode ?? node) && range?.range) {
      return lineCounter.linePos(range.range[0]);
    }
  }
  return { line: 0, col: 0 };
}

/** For a path ending in a mapping key, the key node (so an unknown key points at itself). */
function findKeyNode(document: Document, path: readonly (string | number)[]): unknown {
  const parent = path.length === 1 ? document.contents : document.getIn(path.slice(0, -1), true);
  const last = path.at(-1);
  const items = (parent as { items?: { key?: { value?: unknown } }[] } | null)?.items;
  if (!items || typeof last !== 'string') return undefined;
  return items.find((pair) => pair.key?.value === last)?.key;
}
