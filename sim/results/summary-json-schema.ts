import { z } from 'zod';
import { runSummarySchema } from './summary-schema.js';

/**
 * summary.json's JSON Schema (2020-12), as committed in docs/summary.schema.json: derived from the one zod schema,
 * in its output form (what a run writes), so the published contract cannot say something the code does not do.
 */
export function summaryJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://certfleet.dev/summary.schema.json',
    title: 'certfleet run summary (summary.json)',
    ...z.toJSONSchema(runSummarySchema, { io: 'output' }),
  };
}
