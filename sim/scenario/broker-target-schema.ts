import { z } from 'zod';
import { hostName } from './primitives.js';

/** The brokers a run can put in the loop (`broker.target`, `--broker`). */
export const BROKER_TARGETS = ['embedded', 'mosquitto', 'external'] as const;
export type BrokerTargetName = (typeof BROKER_TARGETS)[number];

export const brokerTarget = z
  .enum(BROKER_TARGETS)
  .default('embedded')
  .describe(
    'The broker the fleet connects to (the command line\'s --broker overrides it). embedded: certfleet\'s own broker, ' +
      'which judges each connect at the time the device claims. mosquitto: a Mosquitto certfleet starts on loopback and ' +
      'runs under libfaketime, its clock moved to the simulated time. external: a broker certfleet neither starts nor ' +
      'steers (broker.external), on its own real clock: the scenario must run on real time (timeline.start: now, speed 1s/s).',
  );

/** A file path relative to the scenario file. */
const file = (what: string) => z.string().min(1).describe(`${what} (a path relative to the scenario file)`);

/**
 * A broker at host:port that a team runs (its Mosquitto, EMQX, HiveMQ, or a cloud endpoint): where devices and the
 * backend dial, the CA that signed its server certificate, and the backend's identity on it.
 */
export const externalBroker = z
  .strictObject({
    host: hostName.describe('the address devices and the backend dial (the name devices check stays broker.host)'),
    port: z.number().int().min(1).max(65_535).describe('the MQTT over TLS port, usually 8883'),
    caFile: file('PEM certificates of the authorities that signed the broker\'s server certificate, which the backend checks'),
    backend: z
      .strictObject({
        certificateFile: file('the backend\'s client certificate (PEM, optionally followed by its chain), which the broker accepts'),
        keyFile: file('the backend\'s private key (PEM)'),
      })
      .describe('the identity the backend (CA, rotation, provisioning, pushes) connects with; the broker must allow it the backend\'s topics'),
  })
  .describe('broker.target external: the broker to connect to. Required for that target, ignored by the others.');
