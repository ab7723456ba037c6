import type { Scenario } from '../scenario/schema.js';

/**
 * Whether a scenario's outcome depends on the order in which devices reach the broker: rate limits and issuance
 * queues decide who is refused or waits by arrival order. Such runs go one action at a time, in (time, device)
 * order, so they stay reproducible from their seed.
 */
export function needsOrderedRun(scenario: Scenario): boolean {
  const limits = scenario.broker.limits;
  return limits !== undefined && Object.values(limits).some((v) => v !== undefined);
}
