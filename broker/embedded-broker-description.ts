import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BrokerDescription } from '../sim/results/broker-description.js';

/**
 * The embedded broker as the manifest and summary name it: Aedes at the installed version, judging each connect at
 * the true time the device claims in its CONNECT user name, believed only inside the epoch the coordinator opened
 * (docs/architecture.md, "Epochs"), read on the broker's own clock (broker.clock).
 */
export function describeEmbeddedBroker(): BrokerDescription {
  return { target: 'embedded', version: `aedes ${aedesVersion()}`, clock: 'claimed per connect (CONNECT user name), inside the epoch' };
}

function aedesVersion(): string {
  try {
    // aedes exports only its entry point; its package.json sits next to it.
    const entry = createRequire(import.meta.url).resolve('aedes');
    return (JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
