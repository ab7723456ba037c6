import { fork } from 'node:child_process';
import { constants } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { BenchFleet } from './fleet-bench.js';
import { processUsage } from './process-usage.js';

export interface TlsFloor {
  handshakes: number;
  failed: number;
  perSecond: number;
  cpuMsPerHandshake: { server: number; client: number; total: number };
  note: string;
}

/**
 * What Node's TLS alone does on this machine: full EC P-256 mutual-TLS handshakes (TLS 1.3, server in this process,
 * clients with pre-built contexts in another, the same certificates and settings as the fleet), with no MQTT and no
 * chain checks at any clock. The fleet's connect rate cannot exceed this.
 */
export async function measureTlsFloor(fleet: BenchFleet, devices: number, concurrency: number): Promise<TlsFloor> {
  const { pki, credentials, plan } = fleet;
  const server = createServer({
    key: pki.serverKeys.broker,
    cert: (pki.certificates.broker ?? '') + (pki.certificates['server-ca'] ?? ''),
    requestCert: true,
    rejectUnauthorized: false,
    secureOptions: constants.SSL_OP_NO_TICKET,
  });
  server.on('secureConnection', (socket) => {
    socket.on('error', () => undefined);
    socket.write('x');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-floor-'));
  try {
    const file = join(dir, 'input.json');
    const list = plan.devices.slice(0, devices).flatMap((d) => {
      const c = credentials[d.id];
      return c ? [{ key: c.keyPem, cert: c.certificatePem + c.chainPems.join('') }] : [];
    });
    writeFileSync(file, JSON.stringify({ port: (server.address() as AddressInfo).port, concurrency, devices: list }));
    const child = fork(fileURLToPath(new URL('./tls-floor-client.js', import.meta.url)), [file], { execArgv: [] });
    await once(child, 'message');
    const serverCpu = processUsage(process.pid).cpuMs;
    const began = performance.now();
    child.send('go');
    const [result] = (await once(child, 'message')) as [{ handshakes: number; failed: number; cpuMs: number }];
    const wallMs = performance.now() - began;
    const serverMs = processUsage(process.pid).cpuMs - serverCpu;
    const per = (ms: number) => Math.round((ms / Math.max(result.handshakes, 1)) * 100) / 100;
    return {
      handshakes: result.handshakes,
      failed: result.failed,
      perSecond: Math.round((result.handshakes / wallMs) * 1000),
      cpuMsPerHandshake: { server: per(serverMs), client: per(result.cpuMs), total: per(serverMs + result.cpuMs) },
      note: 'Node TLS server and clients in two processes, pre-built client contexts, TLS 1.3, no MQTT, no checks at a simulated clock',
    };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
