import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { summaryJsonSchema } from '../../sim/results/summary-json-schema.js';
import { runSummarySchema } from '../../sim/results/summary-schema.js';
import { smallRun } from './small-run.js';

const committed = fileURLToPath(new URL('../../docs/summary.schema.json', import.meta.url));

/** The published file, compiled as any consumer would: JSON Schema 2020-12, every error reported. */
function publishedValidator(): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true });
  // Ajv leaves formats to a plugin; the schema's own pattern pins the shape, this checks the date exists.
  ajv.addFormat('date-time', { type: 'string', validate: (text: string) => !Number.isNaN(Date.parse(text)) });
  return ajv.compile(JSON.parse(readFileSync(committed, 'utf8')) as object);
}

describe('the published JSON Schema of summary.json', () => {
  it('is committed as generated from the zod schema (regenerate with: node dist/cli/main.js schema --summary > docs/summary.schema.json)', () => {
    expect(JSON.parse(readFileSync(committed, 'utf8'))).toEqual(summaryJsonSchema());
  });

  it('is JSON Schema 2020-12 and refuses keys it does not describe', () => {
    const schema = summaryJsonSchema() as { $schema: string; additionalProperties: boolean; required: string[] };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['complete', 'rotations', 'availability', 'activity', 'markers', 'thresholds']));
  });
});

describe('summary.json of a real run against the published schema', () => {
  let summary: Record<string, unknown>;
  let validate: ValidateFunction;

  beforeAll(async () => {
    const { dir } = await smallRun();
    summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    validate = publishedValidator();
  }, 120_000);

  it('validates, with failures, markers, activity, backlog and the latency distribution in it', () => {
    expect(validate(summary), JSON.stringify(validate.errors)).toBe(true);
    expect(runSummarySchema.safeParse(summary).success).toBe(true);
    const typed = runSummarySchema.parse(summary);
    expect(Object.keys(typed.failures.byCause)).toContain('device:untrusted_root');
    expect(typed.markers.map((m) => m.kind)).toContain('event');
    expect(typed.activity.length).toBe(typed.availability.samples.length);
    expect(typed.availability.samples[0]?.renewalBacklog).toBeTypeOf('number');
    expect(typed.rotations.latencyMs.distribution.at(-1)?.cumulative).toBe(typed.rotations.latencyMs.count);
  });

  it('refuses a copy with a string where a number belongs, and names the path', () => {
    const corrupted = structuredClone(summary) as { rotations: { succeeded: unknown } };
    corrupted.rotations.succeeded = '59';
    expect(validate(corrupted)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/rotations/succeeded');
  });

  it('refuses a copy with an unknown key, an unknown cause or a missing field', () => {
    const extra = { ...structuredClone(summary), surprise: 1 };
    expect(validate(extra)).toBe(false);
    const cause = structuredClone(summary) as { failures: { byCause: Record<string, unknown> } };
    cause.failures.byCause['device:melted'] = cause.failures.byCause['device:untrusted_root'];
    expect(validate(cause)).toBe(false);
    const { markers: _markers, ...missing } = structuredClone(summary);
    expect(validate(missing)).toBe(false);
  });
});
