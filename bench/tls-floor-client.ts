/**
 * The client half of the TLS floor, in its own process: full mutual-TLS handshakes with pre-built contexts, nothing
 * else (no MQTT, no chain checks). Input: a JSON file (argv[2]) of port, concurrency and key/certificate pairs.
 * Tells its parent "ready" once the contexts are built, then the result as one JSON message.
 */
import { readFileSync } from 'node:fs';
import { connect, createSecureContext } from 'node:tls';

interface FloorInput {
  port: number;
  concurrency: number;
  devices: { key: string; cert: string }[];
}

const input = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as FloorInput;
const contexts = input.devices.map((d) => createSecureContext({ key: d.key, cert: d.cert }));
process.send?.({ ready: true });
process.once('message', () => {
  const cpu = process.cpuUsage();
  let next = 0;
  let done = 0;
  let failed = 0;
  const one = (): void => {
    const context = contexts[next];
    next += 1;
    if (!context) return;
    const socket = connect({ host: '127.0.0.1', port: input.port, secureContext: context, rejectUnauthorized: false, servername: 'localhost' });
    const finish = (ok: boolean) => {
      socket.destroy();
      done += 1;
      if (!ok) failed += 1;
      if (done === contexts.length) {
        const used = process.cpuUsage(cpu);
        process.send?.({ handshakes: done - failed, failed, cpuMs: (used.user + used.system) / 1000 }, () => process.exit(0));
      } else one();
    };
    // The server writes one byte after its side of the handshake: both ends have finished.
    socket.once('data', () => finish(true));
    socket.once('error', () => finish(false));
  };
  for (let i = 0; i < input.concurrency; i += 1) one();
});
