import { LineCounter, parseDocument, type Document } from 'yaml';
import { ScenarioError } from './scenario-error.js';

/**
 * Limits on what a scenario's YAML may make certfleet build, so that a hostile or broken file is refused with a
 * clear problem instead of exhausting memory or the stack (a "billion laughs" alias bomb, nesting thousands deep).
 */
export const YAML_LIMITS = {
  /** yaml's own measure: alias uses times the size of what they stand for (its default, stated here). */
  maxAliasCount: 100,
  /** A scenario nests about 7 levels deep; policy module options a few more. */
  maxDepth: 64,
} as const;

export interface ParsedYaml {
  document: Document;
  lineCounter: LineCounter;
  value: unknown;
}

/** Parses scenario text into plain data, or throws a ScenarioError with each YAML problem and its line. */
export function readYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ScenarioError(
      file,
      document.errors.map((e) => {
        const where = lineCounter.linePos(e.pos[0]);
        return `line ${where.line}, column ${where.col}: YAML: ${firstLine(e.message)}`;
      }),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (error) {
    // yaml throws a ReferenceError for an alias bomb or an alias to an anchor defined later.
    throw new ScenarioError(file, [`YAML: ${aliasProblem(error)}`]);
  }
  const depth = nestingDepth(value, YAML_LIMITS.maxDepth);
  if (depth > YAML_LIMITS.maxDepth) {
    throw new ScenarioError(file, [`YAML: nested more than ${YAML_LIMITS.maxDepth} levels deep: refused (a scenario needs about 10)`]);
  }
  return { document, lineCounter, value };
}

function aliasProblem(error: unknown): string {
  const message = error instanceof Error ? firstLine(error.message) : String(error);
  if (/excessive alias count/i.test(message)) {
    return `aliases (*name) expand to more than ${YAML_LIMITS.maxAliasCount} times what their anchors (&name) hold: refused as a resource-exhaustion attack`;
  }
  return message;
}

/** How deep `value` nests, counting no further than `limit + 1` (iterative: a deep value cannot overflow the stack). */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    const depth = item.depth + 1;
    deepest = Math.max(deepest, depth);
    if (depth > limit) return depth;
    for (const child of Object.values(item.value as object)) stack.push({ value: child, depth });
  }
  return deepest;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
