/**
 * The Redis keys of device agents and the runs they serve (docs/architecture.md, "Agents"). Every key starts
 * `certfleet:`; an agent's own keys `certfleet:agent:<name>:`, a run's `certfleet:run:<runId>:`, so two runs on one
 * Redis never mix.
 */

/** How long an agent's heartbeat lives unless refreshed: its loss is noticed this long after it stops. */
export const AGENT_HEARTBEAT_TTL_MS = 3_000;
/** How often an agent refreshes its heartbeat and a coordinator its claims. */
export const HEARTBEAT_EVERY_MS = 1_000;
/** How long a coordinator's claim on an agent lives unless refreshed: an agent whose coordinator is gone then stops. */
export const CLAIM_TTL_MS = 6_000;
/** A run's streams outlive a coordinator that died without cleaning up by this much, then Redis drops them. */
export const RUN_KEYS_TTL_S = 24 * 3600;

export const AGENT_KEY_PREFIX = 'certfleet:agent:';

export const agentKeys = (name: string) => ({
  /** The heartbeat: the agent's registration (AgentRegistration as JSON), with a short TTL. */
  alive: `${AGENT_KEY_PREFIX}${name}:alive`,
  /** The run id of the coordinator that claimed the agent (SET NX, refreshed by the coordinator). */
  claim: `${AGENT_KEY_PREFIX}${name}:claim`,
});

/** The pattern that finds every registered agent's heartbeat, and the agent name in such a key. */
export const ALIVE_PATTERN = `${AGENT_KEY_PREFIX}*:alive`;
export function agentNameOf(aliveKey: string): string {
  return aliveKey.slice(AGENT_KEY_PREFIX.length, -':alive'.length);
}

export const runKeys = (runId: string) => ({
  /** The stream of messages from the coordinator to one agent: one inbox per agent. */
  inbox: (agent: string) => `certfleet:run:${runId}:agent:${agent}:inbox`,
  /** The stream of every agent's replies to the coordinator. */
  replies: `certfleet:run:${runId}:replies`,
});

/** What an agent says of itself in its heartbeat. */
export interface AgentRegistration {
  name: string;
  host: string;
  pid: number;
  /** Its --index (a Kubernetes Indexed Job's completion index), when it has one. */
  index?: number | undefined;
  /** Device worker threads it runs per slot it hosts. */
  workers: number;
}

/** A message to an agent: for one slot it hosts (a ToDeviceProcess), a process-kill fault, or the run's end. */
export type ToAgent<M> = { kind: 'slot'; slot: number; generation: number; message: M } | { kind: 'kill' } | { kind: 'end' };

/** A message from an agent about one slot it hosts (a FromDeviceProcess). */
export interface FromAgent<M> {
  agent: string;
  slot: number;
  generation: number;
  message: M;
}
