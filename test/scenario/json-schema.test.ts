import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../sim/scenario/json-schema.js';

const committed = fileURLToPath(new URL('../../scenarios/scenario.schema.json', import.meta.url));

describe('the scenario JSON Schema for editors', () => {
  it('is committed as generated from the zod schema (regenerate with: node dist/cli/main.js schema > scenarios/scenario.schema.json)', () => {
    expect(JSON.parse(readFileSync(committed, 'utf8'))).toEqual(scenarioJsonSchema());
  });

  it('refuses unknown keys and requires what the zod schema requires', () => {
    const schema = scenarioJsonSchema() as { additionalProperties: boolean; required: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'description', 'timeline', 'pki', 'broker', 'fleet']));
  });
});
