import { UserInputError } from '../input/user-input-error.js';
import { parseRedisUrl, type RedisAddress } from '../redis/redis-url.js';
import type { LoadedScenario } from '../scenario/load-scenario.js';
import { needsOrderedRun } from './ordered-run.js';

/** How many embedded broker instances a run starts, and the Redis server that joins them (when more than one). */
export type BrokerInstanceCount = { instances: 1 } | { instances: number; redis: RedisAddress };

/**
 * The broker instances a run asks for (`--broker-instances`, else the scenario's `broker.instances`), or why they
 * cannot be had: more than one needs `--redis` to join them, the embedded target (the only broker certfleet runs as
 * processes of its own), and a run whose outcome does not depend on one broker's view of arrival order (an ordered
 * run: capacity limits decide who is refused or waits by the order connects reach the broker, and devices sharing a
 * client id take each other's sessions over in that order; across instances there is no one order).
 */
export function brokerInstanceCount(loaded: LoadedScenario, flag: number | undefined, redis: string | undefined): BrokerInstanceCount {
  const { broker } = loaded.scenario;
  const instances = flag ?? broker.instances;
  if (instances === 1) return { instances: 1 };
  const [where, field] = flag === undefined ? [loaded.file, `broker.instances: ${instances}`] : ['--broker-instances', `${instances}`];
  const refuse = (problem: string): never => {
    throw new UserInputError(where, [`${field} ${problem}`]);
  };
  if (broker.target !== 'embedded') refuse(`needs broker.target embedded (the only broker certfleet runs as instances), not ${broker.target}`);
  if (redis === undefined) refuse('needs --redis redis://HOST:PORT: broker instances are joined through Redis');
  if (needsOrderedRun(loaded.scenario)) {
    refuse('cannot run with broker.limits or identities shared by several devices: their outcome depends on the one order in which connects reach one broker');
  }
  return { instances, redis: parseRedisUrl(redis ?? '') };
}
