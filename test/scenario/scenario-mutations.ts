/**
 * Mutations of scenario documents for property-based tests of the loader: drop keys, put values of other types,
 * extreme numbers, odd strings, deep nesting, duplicated entries, references to other names (and to the entry
 * itself), swapped values (dates), shared nodes that YAML writes as anchors and aliases, and text-level damage.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';

export type Operation = 'delete' | 'replace' | 'nest' | 'duplicate' | 'reference' | 'swap' | 'share' | 'add-key';

export interface Mutation {
  op: Operation;
  /** Picks the node (by position in a walk of the document, modulo the node count). */
  at: number;
  /** A second pick, for swap and share. */
  other: number;
  value: unknown;
  depth: number;
}

export type TextDamage = 'none' | 'alias-bomb' | 'truncate' | 'duplicate-key' | 'tab' | 'second-document';

const ODD_STRINGS = [
  '', ' ', '0', '-1', 'NaN', 'null', '~', 'true', '1e999d', '99999999999999999999999y', '-0s', '0.0000001ms', '1.5.5h',
  '2030-02-30', '2030-13-01', '0000-01-01', '9999-12-31T23:59:59Z', '10000-01-01', '1969-12-31T23:59:59.999Z',
  '1/0', '0/0', '3/2', '0%', '200%', '-5%', 'max', '1ms/s', '1000y/s', '0d/s', '\u0000', '💥', 'a'.repeat(300),
  '__proto__', 'constructor', 'toString', '*', '&', '.inf', 'lockedOut ==', 'failures[nope] == 0', 'availability.min >= 200%',
];

const ODD_NUMBERS = [0, -0, -1, 1, 0.5, 1e-300, 1e308, -1e308, Number.NaN, Infinity, -Infinity, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1e9, 100_001, 1e15];

const UNITS = ['ms', 's', 'm', 'h', 'd', 'w', 'mo', 'y'];

/** Values of every kind a YAML file can hold, weighted toward the ones that break loaders. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...ODD_STRINGS),
  fc.constantFrom(...ODD_NUMBERS),
  fc.constantFrom(null, true, false, [], {}),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.tuple(fc.integer({ min: -1e7, max: 1e7 }), fc.constantFrom(...UNITS)).map(([n, unit]) => `${n}${unit}`),
  fc.date({ min: new Date(-62_167_219_200_000), max: new Date(253_402_300_799_000), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.array(fc.constantFrom<unknown>(1, 'a', null, {}), { maxLength: 3 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Operation>('delete', 'replace', 'replace', 'nest', 'duplicate', 'reference', 'swap', 'share', 'add-key'),
  at: fc.nat(),
  other: fc.nat(),
  value: oddValue,
  depth: fc.integer({ min: 1, max: 120 }),
});

export const textDamage: fc.Arbitrary<TextDamage> = fc.constantFrom<TextDamage>(
  'none', 'none', 'none', 'none', 'alias-bomb', 'truncate', 'duplicate-key', 'tab', 'second-document',
);

interface Slot {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

/** Every place in the document a value sits, in a fixed walk order. */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const visit = (node: unknown, depth: number) => {
    if (depth > 40 || node === null || typeof node !== 'object') return;
    const entries: [string | number, unknown][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, value] of entries) {
      out.push({ parent: node as Slot['parent'], key });
      visit(value, depth + 1);
    }
  };
  visit(root, 0);
  return out;
}

/** Every string value named `name` (authorities, cohorts, server certificates), for references. */
function names(root: unknown): string[] {
  return slots(root)
    .filter((s) => s.key === 'name' && typeof (s.parent as Record<string, unknown>).name === 'string')
    .map((s) => (s.parent as Record<string, string>).name as string);
}

function get(slot: Slot): unknown {
  return (slot.parent as Record<string | number, unknown>)[slot.key];
}

function set(slot: Slot, value: unknown): void {
  (slot.parent as Record<string | number, unknown>)[slot.key] = value;
}

/** Applies one mutation in place. */
export function mutate(root: unknown, m: Mutation): void {
  const all = slots(root);
  if (all.length === 0) return;
  const slot = all[m.at % all.length] as Slot;
  const other = all[m.other % all.length] as Slot;
  switch (m.op) {
    case 'delete':
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
      else delete slot.parent[slot.key as string];
      break;
    case 'replace':
      set(slot, structuredClone(m.value));
      break;
    case 'nest': {
      let value: unknown = get(slot);
      for (let i = 0; i < m.depth; i += 1) value = m.depth % 2 === 0 ? [value] : { x: value };
      set(slot, value);
      break;
    }
    case 'duplicate':
      // An array entry twice: duplicate names, duplicate cohorts, twice the same event.
      if (Array.isArray(slot.parent)) slot.parent.push(structuredClone(get(slot)));
      else set(slot, [get(slot), get(slot)]);
      break;
    case 'reference': {
      const known = names(root);
      if (known.length > 0) set(slot, known[m.other % known.length]);
      break;
    }
    case 'swap': {
      const a = get(slot);
      set(slot, get(other));
      set(other, a);
      break;
    }
    case 'share':
      // The same object at two places: yaml writes it as an anchor (&a1) and an alias (*a1).
      if (get(other) !== null && typeof get(other) === 'object' && !contains(get(other), slot.parent)) set(slot, get(other));
      break;
    case 'add-key':
      if (!Array.isArray(slot.parent)) slot.parent[typeof m.value === 'string' ? m.value : JSON.stringify(m.value) ?? 'key'] = m.value;
      break;
  }
}

/** Whether `node` holds `target` (so sharing it would make a cycle that YAML cannot write). */
function contains(node: unknown, target: unknown): boolean {
  if (node === target) return true;
  if (node === null || typeof node !== 'object') return false;
  return Object.values(node).some((child) => contains(child, target));
}

/** The mutated document as YAML text, then damaged as text. */
export function toText(root: unknown, damage: TextDamage, cut: number): string {
  const text = stringify(root, { aliasDuplicateObjects: true });
  switch (damage) {
    case 'none':
      return text;
    case 'alias-bomb':
      return `${text}bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 8 }, (_, i) => `bomb${i + 1}: &b${i + 1} [${Array(10).fill(`*b${i}`).join(', ')}]`).join('\n')}\n`;
    case 'truncate':
      return text.slice(0, cut % (text.length + 1));
    case 'duplicate-key':
      return `${text}name: again\n`;
    case 'tab':
      return text.replace('\n  ', '\n\t');
    case 'second-document':
      return `${text}---\n${text}`;
  }
}
