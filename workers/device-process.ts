/**
 * A device process: a child of the coordinator that hosts a pool of device workers for some shards of the fleet
 * and relays the coordinator's messages to them. It ignores SIGINT (Ctrl-C reaches the whole process group): the
 * coordinator decides when to stop, so an interrupted run still collects every shard's final statistics.
 */
import { ShardPool } from './shard-pool.js';
import type { FromDeviceProcess, ToDeviceProcess } from './protocol.js';

const send = (message: FromDeviceProcess): void => {
  process.send?.(message);
};

let pool: ShardPool | undefined;
let queue = Promise.resolve();
let stopped = false;

process.on('SIGINT', () => undefined);
// Without a coordinator (it died) nothing would ever stop these devices.
process.on('disconnect', () => process.exit(stopped ? 0 : 1));

process.on('message', (message: ToDeviceProcess) => {
  queue = queue
    .then(async () => {
      switch (message.type) {
        case 'start': {
          pool = await ShardPool.start({
            plan: message.plan,
            pki: message.pki,
            credentials: message.credentials,
            broker: message.broker,
            shards: message.shards,
            shardOptions: message.options,
            bootAt: message.bootAt,
            onEvents: (events) => send({ type: 'events', events }),
            onStats: (stats) => send(stats),
          });
          send({ type: 'ready', devices: Object.keys(message.credentials).length });
          break;
        }
        case 'advance': {
          if (!pool) throw new Error('advance before start');
          const result = await pool.advance(message.epoch, message.from, message.to, { sessionsDropped: message.sessionsDropped });
          send({ type: 'advanced', epoch: message.epoch, ...result });
          break;
        }
        case 'stop':
          await pool?.stop();
          stopped = true;
          send({ type: 'stopped' });
          process.disconnect();
          break;
      }
    })
    .catch((error: Error) => send({ type: 'failed', message: error.message }));
});
