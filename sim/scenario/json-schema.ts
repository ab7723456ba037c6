import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/**
 * The scenario schema as JSON Schema, for editors (YAML language server: `# yaml-language-server: $schema=...`).
 * Derived from the one zod schema, in its input form: times and durations are the strings a file holds.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://certfleet.dev/scenario.schema.json',
    title: 'certfleet scenario',
    ...z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
