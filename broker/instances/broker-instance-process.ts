/**
 * A broker instance process: a child of the coordinator that runs one broker instance (broker-instance.ts) and
 * relays the coordinator's messages to it. It ignores SIGINT (Ctrl-C reaches the whole process group): the
 * coordinator decides when to stop.
 */
import { BrokerInstance } from './broker-instance.js';
import type { FromBrokerInstance, ToBrokerInstance } from './instance-protocol.js';

const send = (message: FromBrokerInstance): void => {
  process.send?.(message);
};

let instance: BrokerInstance | undefined;
let starting: Promise<void> | undefined;
let stopped = false;

process.on('SIGINT', () => undefined);
// Without a coordinator (it died) nothing would ever stop this broker.
process.on('disconnect', () => process.exit(stopped ? 0 : 1));

process.on('message', (message: ToBrokerInstance) => {
  if (message.type === 'start') {
    starting = BrokerInstance.start(message, send).then(
      (started) => {
        instance = started;
      },
      (error: Error) => send({ type: 'failed', message: error.message }),
    );
    return;
  }
  if (message.type === 'stop') {
    void (async () => {
      await starting;
      const stats = instance?.stats();
      await instance?.close().catch(() => undefined);
      stopped = true;
      if (stats) send({ type: 'done', request: message.request, stats });
      process.disconnect();
    })();
    return;
  }
  instance?.handle(message);
});
