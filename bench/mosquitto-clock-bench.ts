/**
 * What the `mosquitto` broker target's clock costs: moving it (one rewrite of libfaketime's timestamp file per
 * epoch), a connect with and without a move before it, a SIGHUP reload and a restart, in wall milliseconds.
 */
import { performance } from 'node:perf_hooks';
import { connect } from 'mqtt';
import { brokerConfigFrom } from '../broker/broker-config.js';
import { startMosquittoBroker } from '../broker/mosquitto/mosquitto-broker.js';
import { manufactureBenchFleet } from './fleet-bench.js';

const HOUR = 3_600_000;

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 1000) / 1000;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(sorted.length, 1);
  return { samples: sorted.length, meanMs: Math.round(mean * 1000) / 1000, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

export async function measureMosquittoClock(options: { connects: number; moves: number }) {
  const parts = manufactureBenchFleet(options.connects);
  const scenario = parts.plan.scenario;
  const broker = await startMosquittoBroker(
    brokerConfigFrom(scenario, parts.pki, 1),
    {
      backendUser: 'bench-backend',
      currentCertificateOf: (id) => parts.credentials[id]?.certificatePem,
      deviceCertificates: Object.values(parts.credentials).map((c) => c.certificatePem),
    },
    () => undefined,
  );
  const start = scenario.timeline.start;
  try {
    const moves: number[] = [];
    for (let i = 0; i < options.moves; i += 1) {
      const began = performance.now();
      await broker.setEpoch(start + i * HOUR, start + (i + 1) * HOUR);
      moves.push(performance.now() - began);
    }
    await broker.setEpoch(start, start + HOUR);
    const connectOnce = async (deviceId: string): Promise<number> => {
      const device = parts.credentials[deviceId];
      if (!device) throw new Error(`no device ${deviceId}`);
      const began = performance.now();
      await new Promise<void>((resolve, reject) => {
        const client = connect({ host: broker.host, port: broker.port, protocol: 'mqtts', protocolVersion: 4, key: device.keyPem, cert: device.certificatePem + device.chainPems.join(''), rejectUnauthorized: false, clientId: deviceId, reconnectPeriod: 0 });
        client.once('connect', () => client.end(true, {}, () => resolve()));
        client.once('error', reject);
      });
      return performance.now() - began;
    };
    const ids = parts.plan.devices.map((d) => d.id);
    const half = Math.floor(ids.length / 2);
    const steady: number[] = [];
    for (const id of ids.slice(0, half)) steady.push(await connectOnce(id));
    const moved: number[] = [];
    for (const [i, id] of ids.slice(half).entries()) {
      const began = performance.now();
      await broker.setEpoch(start + (i % 2) * 1000, start + HOUR);
      moved.push(performance.now() - began + (await connectOnce(id)));
    }
    const reloads: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const began = performance.now();
      await broker.applyEvent({ at: start, kind: 'server-certificate', use: scenario.broker.serverCertificate });
      reloads.push(performance.now() - began);
    }
    const restarts: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const began = performance.now();
      await broker.applyEvent({ at: start, kind: 'restart', downFor: 0 });
      await broker.setEpoch(start, start + HOUR);
      restarts.push(performance.now() - began);
    }
    return {
      measured: true,
      target: broker.describe(),
      clockMove: { ...summary(moves), note: 'setEpoch: the broker clock reading written to FAKETIME_TIMESTAMP_FILE (write + rename)' },
      connect: { ...summary(steady), note: 'one mqtt.js connect over mutual TLS at a time, clock unchanged' },
      connectAfterClockMove: { ...summary(moved), note: 'a clock move, then one connect judged at the new reading' },
      sighupReload: { ...summary(reloads), note: 'server-certificate (revocations and device authorities likewise): files rewritten, SIGHUP, until Mosquitto logs the reload' },
      restart: { ...summary(restarts), note: 'a restart event (SIGTERM, until it exits) and the next epoch starting it, until Mosquitto logs that it runs' },
    };
  } finally {
    await broker.close();
  }
}
