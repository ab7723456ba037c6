/**
 * The piscina entry point of a device worker. Each worker runs one long-lived task: a shard of the fleet, driven
 * over the task's MessagePort until the coordinator says stop. (The pool must use `atomics: 'disabled'`: piscina's
 * default Atomics.wait between tasks would freeze this worker's event loop and with it every device's socket.)
 */
import type { ShardTask } from './protocol.js';
import { serveShard } from './shard-runner.js';

export default function runShard(task: ShardTask): Promise<void> {
  return serveShard(task);
}
