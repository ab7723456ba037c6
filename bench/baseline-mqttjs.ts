/**
 * The plain baseline, run as its own process: what a load-test script or a generic MQTT bench tool does. One mqtt.js
 * client per device, each connecting over TLS with its own key and certificate, a fixed number in flight, no check
 * of the broker's chain at any clock. Input: a JSON file (argv[2]); output: one JSON line on stdout.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connect, type MqttClient } from 'mqtt';

export interface BaselineInput {
  host: string;
  port: number;
  concurrency: number;
  devices: { clientId: string; key: string; cert: string }[];
}

export interface BaselineResult {
  connected: number;
  failed: number;
  wallMs: number;
  perSecond: number;
  cpuMsPerConnect: number;
}

const input = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as BaselineInput;
const clients: MqttClient[] = [];
let next = 0;
let connected = 0;
let failed = 0;
const cpu = process.cpuUsage();
const began = performance.now();

const lane = async (): Promise<void> => {
  while (next < input.devices.length) {
    const device = input.devices[next];
    next += 1;
    if (!device) continue;
    const client = connect({
      host: input.host,
      port: input.port,
      protocol: 'mqtts',
      key: device.key,
      cert: device.cert,
      rejectUnauthorized: false,
      clientId: device.clientId,
      reconnectPeriod: 0,
      connectTimeout: 120_000,
    });
    clients.push(client);
    await new Promise<void>((resolve) => {
      client.once('connect', () => {
        connected += 1;
        resolve();
      });
      client.once('error', () => {
        failed += 1;
        resolve();
      });
      client.once('close', () => resolve());
    });
  }
};

await Promise.all(Array.from({ length: input.concurrency }, lane));
const wallMs = performance.now() - began;
const used = process.cpuUsage(cpu);
const result: BaselineResult = {
  connected,
  failed,
  wallMs: Math.round(wallMs),
  perSecond: Math.round((connected / wallMs) * 1000),
  cpuMsPerConnect: Math.round(((used.user + used.system) / 1000 / Math.max(connected, 1)) * 100) / 100,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.end(true, {}, () => resolve()))));
process.exit(0);
