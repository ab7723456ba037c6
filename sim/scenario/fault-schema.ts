import { z } from 'zod';
import { describeInput, fraction, instant, name, positiveDuration } from './primitives.js';

/**
 * Faults injected on purpose (`faults:` in a scenario), so a team can rehearse failures as well as expiries. They
 * are a list of their own rather than more `events` kinds: an event is a planned change to the PKI or the broker,
 * a fault is a window of trouble whose effect and recovery the results measure per fault. Every fault has a
 * `kind`; windowed faults have `from`/`to`, a process kill has `at`.
 */

const window = { from: instant, to: instant };

/** Cloud-to-device messages (CSR replies, deliveries, job notifications) lost at `rate` during the window. */
const messageLoss = z.strictObject({
  kind: z.literal('message-loss'),
  ...window,
  rate: fraction,
  /** Only devices of these cohorts; all when omitted. */
  cohorts: z.array(name).optional(),
});

/** The CA answers every CSR with 503 ServiceUnavailable during the window. */
const caUnavailable = z.strictObject({ kind: z.literal('ca-unavailable'), ...window });

/** The CA serves every request that arrives during the window `delay` later (simulated time). */
const caSlow = z.strictObject({ kind: z.literal('ca-slow'), ...window, delay: positiveDuration });

/** A cohort cut off from the broker: live sessions drop at `from`, connects fail until `to`. */
const partition = z.strictObject({ kind: z.literal('partition'), ...window, cohort: name });

/** The device process hosting `device` is killed (SIGKILL) at `at`. */
const processKill = z.strictObject({
  kind: z.literal('process-kill'),
  at: instant,
  /** A device id as the plan names it ("device-00003"). */
  device: z.string().regex(/^device-\d+$/, { message: 'expected a device id such as "device-00003"' }),
});

export const FAULT_KINDS = ['message-loss', 'ca-unavailable', 'ca-slow', 'partition', 'process-kill'] as const;

export const fault = z.discriminatedUnion('kind', [messageLoss, caUnavailable, caSlow, partition, processKill], {
  error: (issue) =>
    `expected a fault kind of ${FAULT_KINDS.map((k) => `"${k}"`).join(', ')}, got ${describeInput((issue.input as { kind?: unknown } | undefined)?.kind)}`,
});

export type ScenarioFault = z.output<typeof fault>;
export type FaultKind = ScenarioFault['kind'];
