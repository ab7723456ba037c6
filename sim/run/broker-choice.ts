import { randomUUID } from 'node:crypto';
import type { BrokerChoice } from '../../broker/broker-stack.js';
import { describeEmbeddedBroker } from '../../broker/embedded-broker-description.js';
import { MOSQUITTO_CLOCK } from '../../broker/mosquitto/mosquitto-broker.js';
import { findMosquittoPrograms } from '../../broker/mosquitto/mosquitto-programs.js';
import type { BrokerDescription } from '../results/broker-description.js';
import type { FactoryCredentials } from '../scenario-pki/device-factory.js';
import { readExternalBrokerFiles } from '../scenario/external-broker-files.js';
import { ScenarioError, type LoadedScenario } from '../scenario/load-scenario.js';
import type { BrokerInstanceCount } from './broker-instance-count.js';

/**
 * What the run's manifest says about its broker before it starts (the broker's own description replaces it once it
 * runs). A mosquitto target whose programs are missing is bad input, refused before anything is written.
 */
export function describeBrokerTarget(loaded: LoadedScenario): BrokerDescription {
  switch (loaded.scenario.broker.target) {
    case 'embedded':
      return describeEmbeddedBroker();
    case 'mosquitto':
      findMosquittoPrograms();
      return { target: 'mosquitto', version: 'not started yet', clock: MOSQUITTO_CLOCK };
    case 'external':
      return { target: 'external', version: 'not known to certfleet', clock: 'its own real clock: the run is on real time' };
  }
}

/** The broker the scenario (or --broker) puts in the loop, with what it needs. */
export function brokerChoice(loaded: LoadedScenario, factory: Readonly<Record<string, FactoryCredentials>>, count: BrokerInstanceCount): BrokerChoice {
  const { broker } = loaded.scenario;
  if (broker.target === 'mosquitto') return { target: 'mosquitto', factory };
  if (broker.target === 'external') {
    // The scenario check made sure the section is there and its files read (sim/scenario/target-support.ts).
    const external = broker.external;
    if (!external) throw new ScenarioError(loaded.file, ['broker.external: required for broker.target external']);
    return { target: 'external', host: external.host, port: external.port, ...readExternalBrokerFiles(external) };
  }
  // The run's own Redis channels: two runs on one Redis never mix.
  return { target: 'embedded', ...('redis' in count ? { instances: { instances: count.instances, redis: count.redis, runId: randomUUID().replace(/-/g, '') } } : {}) };
}
