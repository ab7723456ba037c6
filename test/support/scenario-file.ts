/** Scenario files written for a test: a text with replacements, each checked to apply, in a folder of its own. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export type TextEdit = [from: string, to: string];

/** `text` with each edit applied once; an edit whose `from` is not in the text fails the test. */
export function editedText(text: string, ...edits: TextEdit[]): string {
  let edited = text;
  for (const [from, to] of edits) {
    expect(edited.includes(from), `edit ${JSON.stringify(from)}`).toBe(true);
    edited = edited.replace(from, to);
  }
  return edited;
}

/** Writes `text` with the edits as `dir/name` and returns its path. */
export function writeScenarioFile(dir: string, name: string, text: string, ...edits: TextEdit[]): string {
  const file = join(dir, name);
  writeFileSync(file, editedText(text, ...edits));
  return file;
}
