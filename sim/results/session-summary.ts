import { z } from 'zod';
import type { SessionTotals } from './session-tally.js';

/** session.json's `kind`: how `certfleet report` tells a broker session's folder from a run's. */
export const SESSION_KIND = 'certfleet-broker-session';

const decisionCount = z.object({ count: z.int().nonnegative(), clients: z.int().nonnegative(), first: z.number(), last: z.number() });
const tally = z.record(z.string(), z.int().nonnegative());

/**
 * session.json of a `certfleet broker` session (sim/results/decision-log.ts): what the session was, and its decisions
 * in totals. Written when the log opens (`complete: false`) and again when it closes, so a session killed without a
 * chance to close still names itself; its report is drawn from decisions.ndjson either way.
 */
export const sessionSummarySchema = z.object({
  kind: z.literal(SESSION_KIND),
  scenario: z.string(),
  scenarioFile: z.string().optional(),
  seed: z.int().nonnegative().optional(),
  broker: z.object({ host: z.string(), port: z.int().min(0).max(65_535) }).optional(),
  /**
   * The broker's simulated clock when the log opened, and the last reading it was told of or decided at (ISO 8601);
   * absent while a session that was not told its start has decided nothing.
   */
  simulated: z.object({ start: z.iso.datetime().optional(), reached: z.iso.datetime().optional() }),
  /** Wall time (ISO 8601) the log opened and closed. */
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().optional(),
  /** The log was closed: every decision made is in decisions.ndjson. */
  complete: z.boolean(),
  /** Lines in decisions.ndjson. */
  decisions: z.int().nonnegative(),
  totals: z
    .object({
      connects: z.object({
        admitted: z.int().nonnegative(),
        refused: z.int().nonnegative(),
        admittedByRole: tally,
        refusedByCause: z.record(z.string(), decisionCount),
      }),
      tlsFailures: z.record(z.string(), decisionCount),
      certificates: z.object({ issued: z.int().nonnegative(), refused: z.int().nonnegative(), refusedByReason: z.record(z.string(), decisionCount) }),
      registrations: z.object({ accepted: z.int().nonnegative(), refused: z.int().nonnegative() }),
      jobs: tally,
      deliveries: tally,
      connectionCuts: tally,
      requestsRefused: tally,
    })
    .optional(),
});

export type SessionSummary = z.output<typeof sessionSummarySchema>;

// What the tally writes is what the schema reads (a compile error otherwise).
const totalsRead = (totals: SessionTotals): NonNullable<SessionSummary['totals']> => totals;
void totalsRead;
