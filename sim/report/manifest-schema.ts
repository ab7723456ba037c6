import { z } from 'zod';
import type { RunManifest } from '../results/manifest.js';
import { BROKER_TARGETS } from '../scenario/broker-target-schema.js';
import { MAX_DEVICES, MAX_SEED } from '../scenario/schema.js';

/**
 * manifest.json as reports read it: what the run was (tool, machine, scenario file and seed for repro commands).
 * Unknown fields are dropped, not refused: a field a report does not show is no reason to refuse the folder.
 */
export const manifestSchema = z.object({
  tool: z.object({ name: z.string(), version: z.string(), commit: z.string() }),
  node: z.string(),
  openssl: z.string(),
  machine: z.object({ cpu: z.string(), cores: z.int().nonnegative(), memoryGiB: z.number(), platform: z.string() }),
  scenario: z.object({ name: z.string(), file: z.string(), sha256: z.string() }),
  /** Absent from runs of certfleet versions that had only the embedded broker. */
  broker: z.object({ target: z.enum(BROKER_TARGETS), version: z.string(), clock: z.string() }).optional(),
  timelineStart: z.iso.datetime().optional(),
  seed: z.int().nonnegative().max(MAX_SEED),
  devices: z.int().min(1).max(MAX_DEVICES),
  workers: z.int().nonnegative(),
  startedAt: z.iso.datetime(),
});

export type ReportManifest = z.output<typeof manifestSchema>;

// Every manifest certfleet run writes is one a report can read (a compile error otherwise).
const everyManifestReads = (manifest: RunManifest): ReportManifest => manifest;
void everyManifestReads;
