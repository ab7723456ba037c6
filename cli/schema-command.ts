import { scenarioJsonSchema } from '../sim/scenario/json-schema.js';
import { EXIT } from './exit-codes.js';

/** Prints the scenario JSON Schema (what scenarios/scenario.schema.json holds). */
export function schemaCommand(): number {
  process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
