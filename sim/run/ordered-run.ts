import type { Scenario } from '../scenario/schema.js';

/**
 * Whether a scenario's outcome depends on the order in which devices reach the broker: rate limits and issuance
 * queues decide who is refused or waits by arrival order, and devices that share a client id take each other's
 * sessions over in arrival order. Such runs go one action at a time, in (time, device) order, through one worker,
 * so they stay reproducible from their seed.
 */
export function needsOrderedRun(scenario: Scenario): boolean {
  const limits = scenario.broker.limits;
  const limited = limits !== undefined && Object.values(limits).some((v) => v !== undefined);
  const sharedIdentities = scenario.fleet.cohorts.some((c) => c.identity.sharedBy > 1 || c.identity.clientId !== undefined);
  return limited || sharedIdentities;
}
