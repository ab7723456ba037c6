import { summaryJsonSchema } from '../sim/results/summary-json-schema.js';
import { scenarioJsonSchema } from '../sim/scenario/json-schema.js';
import { EXIT } from './exit-codes.js';

/**
 * Prints the scenario JSON Schema (what scenarios/scenario.schema.json holds), or with `summary` the schema of a run's
 * summary.json (what docs/summary.schema.json holds).
 */
export function schemaCommand(options: { summary?: boolean | undefined } = {}): number {
  const schema = options.summary ? summaryJsonSchema() : scenarioJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return EXIT.ok;
}
