import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FactoryCredentials } from '../sim/scenario-pki/device-factory.js';
import type { FleetPlan } from '../sim/plan/fleet-plan.js';
import type { BaselineInput, BaselineResult } from './baseline-mqttjs.js';

/** Runs the plain mqtt.js loop in its own process against a broker, with the given devices' credentials. */
export async function measureBaseline(options: {
  plan: FleetPlan;
  credentials: Record<string, FactoryCredentials>;
  broker: { host: string; port: number };
  devices: number;
  concurrency: number;
}): Promise<BaselineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-baseline-'));
  try {
    const input: BaselineInput = {
      host: options.broker.host,
      port: options.broker.port,
      concurrency: options.concurrency,
      devices: options.plan.devices.slice(0, options.devices).flatMap((d) => {
        const c = options.credentials[d.id];
        return c ? [{ clientId: d.clientId, key: c.keyPem, cert: c.certificatePem + c.chainPems.join('') }] : [];
      }),
    };
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify(input));
    const script = fileURLToPath(new URL('./baseline-mqttjs.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script, file], { maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as BaselineResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
