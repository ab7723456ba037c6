/**
 * The embedded broker alone in a child process (started by test/support/broker-process.ts), so that a test can give
 * it its own resource limits (prlimit) and see whether it survives them. It takes its configuration over IPC, says
 * its port, answers "stats", and forwards the connection-cut events; the parent ends it with a signal.
 */
import { startEmbeddedBroker } from '../../broker/embedded-broker.js';
import type { BrokerConfig } from '../../broker/broker-config.js';

process.once('message', ({ config, epoch }: { config: BrokerConfig; epoch: [number, number] }) => {
  void startEmbeddedBroker(config, (event) => {
    if (event.type === 'broker.connection-cut') process.send?.({ kind: 'event', event });
  }).then((broker) => {
    broker.setEpoch(...epoch);
    process.on('message', (message) => {
      if (message === 'stats') process.send?.({ kind: 'stats', stats: broker.stats() });
    });
    process.send?.({ kind: 'ready', port: broker.port });
  });
});
