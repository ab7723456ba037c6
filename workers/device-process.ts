/**
 * A device process: a child of the coordinator that hosts a pool of device workers for some shards of the fleet
 * and relays the coordinator's messages to them. It ignores SIGINT (Ctrl-C reaches the whole process group): the
 * coordinator decides when to stop, so an interrupted run still collects every shard's final statistics.
 */
import { HostedShards } from './hosted-shards.js';
import type { FromDeviceProcess, ToDeviceProcess } from './protocol.js';

const send = (message: FromDeviceProcess): void => {
  process.send?.(message);
};

const shards = new HostedShards(send);
let stopped = false;

process.on('SIGINT', () => undefined);
// Without a coordinator (it died) nothing would ever stop these devices.
process.on('disconnect', () => process.exit(stopped ? 0 : 1));

process.on('message', (message: ToDeviceProcess) => {
  void shards.handle(message).then(() => {
    if (message.type !== 'stop') return;
    stopped = true;
    process.disconnect();
  });
});
