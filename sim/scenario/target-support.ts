import type { BrokerTargetName } from './broker-target-schema.js';
import type { ScenarioProblem } from './check-references.js';
import { checkExternalBrokerFiles } from './external-broker-files.js';
import { ROTATION_PROTOCOLS } from '../device-api/rotation-protocols.js';
import type { Scenario } from './schema.js';

/** How the target was chosen, for the messages: "broker.target mosquitto" or "--broker mosquitto". */
export interface TargetChoice {
  target: BrokerTargetName;
  /** true: `--broker` on the command line chose it over the scenario's broker.target. */
  fromCommandLine: boolean;
}

/**
 * What the chosen broker target cannot do that the scenario asks of it, each at the field that asks it: refused by
 * `validate` and `run` (exit 2) rather than carried out as a different run. `written` is the scenario as the YAML
 * holds it (before defaults), to tell a setting the file makes from a default it does not mention.
 */
export function targetRefusals(scenario: Scenario, written: unknown, choice: TargetChoice): ScenarioProblem[] {
  const who = choice.fromCommandLine ? `--broker ${choice.target}` : `broker.target ${choice.target}`;
  switch (choice.target) {
    case 'embedded':
      return [];
    case 'mosquitto':
      return mosquittoRefusals(scenario, written, who);
    case 'external':
      return externalRefusals(scenario, written, who);
  }
}

const EMBEDDED = 'run it on broker.target embedded';

/** A broker-side setting of the scenario that only certfleet's own broker is sure to carry out. */
interface BrokerSetting {
  path: (string | number)[];
  /** The broker's feature, as "certfleet cannot set up <what> on a broker it does not run" reads. */
  what: string;
  /** Why Mosquitto 2.0 cannot (mosquitto.conf(5)). */
  mosquitto: string;
  /** What to do instead on Mosquitto. */
  instead: string;
}

/**
 * The settings of the broker section the embedded broker carries out and Mosquitto 2.0 cannot: it has one
 * certificate per listener, a CA file and a CRL, `require_certificate`, `use_identity_as_username`, an ACL file and
 * `max_packet_size`. Limits that are the backend's (issuance and registration queues, ownership tokens) and the
 * broker's clock (libfaketime) stay certfleet's own and are not listed.
 */
function brokerSideSettings(scenario: Scenario, written: unknown): BrokerSetting[] {
  const settings: BrokerSetting[] = [];
  const { broker } = scenario;
  if (broker.endpoints.length > 0) {
    settings.push({
      path: ['broker', 'endpoints'],
      what: 'a server certificate per SNI name',
      mosquitto: 'Mosquitto serves one server certificate per listener and does not choose one by the name a device sends in SNI (RFC 6066 3)',
      instead: `${EMBEDDED}, or give every cohort broker.host`,
    });
  }
  if (broker.limits?.connectsPerSecond !== undefined) {
    settings.push({
      path: ['broker', 'limits', 'connectsPerSecond'],
      what: 'a CONNECT rate limit',
      mosquitto: 'Mosquitto has no CONNECT rate limit, so no device would be refused with CONNACK 3 (rate_limited)',
      instead: `remove it, or ${EMBEDDED}`,
    });
  }
  if (broker.limits?.connectsPerClientPerSecond !== undefined) {
    settings.push({
      path: ['broker', 'limits', 'connectsPerClientPerSecond'],
      what: 'a per-client CONNECT rate limit',
      mosquitto: 'Mosquitto has no per-client CONNECT rate limit, so no device would be refused with CONNACK 3 (rate_limited)',
      instead: `remove it, or ${EMBEDDED}`,
    });
  }
  if (broker.renewAfterExpiry !== undefined) {
    settings.push({
      path: ['broker', 'renewAfterExpiry'],
      what: 'admission of expired certificates for renewal',
      mosquitto: 'Mosquitto refuses an expired client certificate in the TLS handshake and cannot admit it for renewal only',
      instead: `remove it, or ${EMBEDDED}`,
    });
  }
  if (broker.clientIdMustMatchCertificate) {
    scenario.fleet.cohorts.forEach((cohort, i) => {
      if (cohort.identity.clientId === undefined) return;
      settings.push({
        path: ['fleet', 'cohorts', i, 'identity', 'clientId'],
        what: 'a check that the client id is the certificate\'s CN (broker.clientIdMustMatchCertificate)',
        mosquitto:
          'this cohort connects with a client id that is not its certificate\'s CN, which broker.clientIdMustMatchCertificate refuses (client_id_mismatch), and Mosquitto does not compare the two',
        instead: `${EMBEDDED}, or set broker.clientIdMustMatchCertificate: false`,
      });
    });
  }
  if (broker.bootstrapAuthorities.length > 0) {
    settings.push({
      path: ['broker', 'bootstrapAuthorities'],
      what: 'sessions confined to provisioning for bootstrap identities',
      mosquitto:
        'its ACL gives rights by user name (the CN), so a bootstrap certificate would get a device\'s full rights instead of provisioning only',
      instead: `${EMBEDDED}`,
    });
  }
  scenario.fleet.cohorts.forEach((cohort, i) => {
    if (!ROTATION_PROTOCOLS[cohort.rotation.protocol].needsCertificateStatus) return;
    settings.push({
      path: ['fleet', 'cohorts', i, 'rotation', 'protocol'],
      what: `the refusal of certificates ${cohort.rotation.protocol} has not activated or has deactivated (certificate_inactive)`,
      mosquitto: `Mosquitto admits every certificate under its CA file; ${cohort.rotation.protocol} needs a broker that refuses the certificates the backend has not activated or has deactivated (AWS IoT's PENDING_ACTIVATION and INACTIVE)`,
      instead: `${EMBEDDED}, or use rotation.protocol csr`,
    });
  });
  // Wall-clock and byte limits on misbehaving connections: only the one Mosquitto has (max_packet_size) carries over.
  const connectionLimits: Record<string, string> = {
    handshakeTimeout: 'Mosquitto has no TLS handshake timeout setting',
    connectTimeout: 'Mosquitto has no setting for how long a connection may wait before its CONNECT',
    maxPacketBeforeConnect: 'Mosquitto has one max_packet_size for every packet, before and after CONNECT (broker.connections.maxPacketAfterConnect sets it)',
    perSource: 'Mosquitto limits connections per listener (max_connections), not per source address',
  };
  for (const [key, why] of Object.entries(connectionLimits)) {
    if (isWritten(written, ['broker', 'connections', key])) settings.push({ path: ['broker', 'connections', key], what: `broker.connections.${key}`, mosquitto: why, instead: `remove it, or ${EMBEDDED}` });
  }
  return settings;
}

/** What a Mosquitto that certfleet starts and configures (broker/mosquitto/) cannot be made to do. */
export function mosquittoRefusals(scenario: Scenario, written: unknown, who: string): ScenarioProblem[] {
  return brokerSideSettings(scenario, written).map((s) => ({ path: s.path, message: `${who} cannot do this: ${s.mosquitto}; ${s.instead}` }));
}

/** Point a team at what works instead of a simulated time on its own broker. */
const REAL_TIME =
  'use broker.target mosquitto to judge at a simulated time, or a real-time scenario like scenarios/real-time-rotation.yaml (timeline.start: now, timeline.speed: 1s/s)';

/**
 * A broker certfleet neither starts nor steers: its clock is real time, so the run is on real time, and nothing of the
 * broker's side of the scenario (its clock, chain switches, revocations, restarts, accepted authorities, limits) can
 * be carried out on it.
 */
export function externalRefusals(scenario: Scenario, written: unknown, who: string): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const refuse = (path: (string | number)[], why: string, instead: string) => problems.push({ path, message: `${who} cannot do this: ${why}; ${instead}` });
  const { broker, timeline } = scenario;
  if (broker.external === undefined) {
    problems.push({ path: ['broker', 'external'], message: `required for ${who}: expected { host, port, caFile, backend: { certificateFile, keyFile } }, the broker to connect to` });
  } else {
    problems.push(...checkExternalBrokerFiles(broker.external));
  }
  const realClock = 'an external broker judges every certificate at its own real clock';
  if (!timeline.startsNow) refuse(['timeline', 'start'], `${realClock}, so the timeline must start now (timeline.start: now), not at ${new Date(timeline.start).toISOString()}`, REAL_TIME);
  if (timeline.speed !== 1000) {
    const asked = Number.isFinite(timeline.speed) ? `${timeline.speed / 1000} s per second` : 'as fast as possible ("max")';
    refuse(['timeline', 'speed'], `${realClock}, so the timeline must run at one second per second (timeline.speed: 1s/s), not ${asked}`, REAL_TIME);
  }
  if (broker.clock.offset !== 0) refuse(['broker', 'clock', 'offset'], `${realClock}; certfleet cannot set it off`, REAL_TIME);
  if (broker.clock.driftPpm !== 0) refuse(['broker', 'clock', 'driftPpm'], `${realClock}; certfleet cannot make it drift`, REAL_TIME);
  const steered: Record<string, string> = {
    'server-certificate': 'certfleet cannot switch the server certificate of a broker it does not run',
    revoke: 'certfleet cannot make a broker it does not run load a CRL',
    'broker-restart': 'certfleet cannot restart a broker it does not run',
    'broker-device-authorities': 'certfleet cannot change the authorities a broker it does not run accepts',
  };
  scenario.events.forEach((event, i) => {
    const why = steered[event.type];
    if (why !== undefined) refuse(['events', i, 'type'], why, 'do it on the broker yourself, or use broker.target mosquitto');
  });
  // The broker-side settings of the scenario: certfleet configures none of them on a broker it does not run.
  for (const setting of brokerSideSettings(scenario, written)) {
    refuse(setting.path, `certfleet cannot set up ${setting.what} on a broker it does not run`, `${EMBEDDED}, or set it up on the broker itself and leave it out of the scenario`);
  }
  if (isWritten(written, ['broker', 'listen'])) {
    refuse(['broker', 'listen'], 'certfleet cannot choose where a broker it does not run listens', 'leave it out: devices dial broker.external.host and broker.external.port');
  }
  if (isWritten(written, ['broker', 'connections', 'maxPacketAfterConnect'])) {
    refuse(['broker', 'connections', 'maxPacketAfterConnect'], 'certfleet cannot set up broker.connections.maxPacketAfterConnect on a broker it does not run', 'set it up on the broker itself and leave it out of the scenario');
  }
  return problems;
}

/** Whether the file itself sets the value at `path` (a default it leaves out is not written). */
function isWritten(written: unknown, path: readonly string[]): boolean {
  let node = written;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return node !== undefined && node !== null;
}
