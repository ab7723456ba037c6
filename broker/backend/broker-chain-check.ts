import type { ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import type { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';

/**
 * How the backend judges the chain the scenario's broker presents, at the broker's clock reading (Node's TLS would
 * judge at the host's, where a scenario's chain may long have expired): a path to one of the scenario's roots for the
 * broker's host name, as OpenSSL >= 1.1.0 builds it (sim/verify, as the devices judge). A chain that fails that is
 * still accepted when its leaf is exactly one of the scenario's server certificates: the operator's backend knows its
 * own broker's certificates (a pin), and a scenario may serve a chain that is broken at its start on purpose (that is
 * what its devices are tested against), which must not keep the backend from its broker. Any other leaf is refused.
 */
export function scenarioBrokerCheck(options: {
  pki: ScenarioPki;
  /** The scenario's server certificates by name: the pins. */
  serverCertificates: readonly string[];
  serverName: string;
  pool: CertificatePool;
  /** The broker's clock reading now. */
  clockReading: () => number;
}): (chain: ParsedCertificate[]) => string | undefined {
  const parse = (name: string) => options.pool.parsePem(options.pki.certificates[name] ?? '')[0];
  const roots = Object.keys(options.pki.certificates)
    .map(parse)
    .filter((c): c is ParsedCertificate => c !== undefined && c.selfSigned);
  const pins = new Set(options.serverCertificates.map(parse).flatMap((c) => (c ? [c.fingerprint] : [])));
  const judge = serverChainJudge({ ...options, anchors: roots });
  return (chain) => (chain[0] && pins.has(chain[0].fingerprint) ? undefined : judge(chain));
}

/**
 * How the backend judges a team's broker (broker.target external): a path from its server certificate to the CA file
 * the scenario names, for the broker's host name, at the broker's clock reading (on such a run, real time).
 */
export function externalBrokerCheck(options: {
  caPem: string;
  serverName: string;
  pool: CertificatePool;
  clockReading: () => number;
}): (chain: ParsedCertificate[]) => string | undefined {
  return serverChainJudge({ ...options, anchors: options.pool.parsePem(options.caPem) });
}

/** A path from the broker's leaf to one of `anchors` for its host name, as OpenSSL >= 1.1.0 builds it (sim/verify). */
function serverChainJudge(options: {
  anchors: ParsedCertificate[];
  serverName: string;
  pool: CertificatePool;
  clockReading: () => number;
}): (chain: ParsedCertificate[]) => string | undefined {
  return (chain) => {
    const [leaf, ...presented] = chain;
    if (!leaf) return 'the broker sent no certificate';
    const verdict = verifyChainAt({
      leaf,
      presented,
      anchors: options.anchors,
      at: options.clockReading(),
      policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
      purpose: 'serverAuth',
      hostname: options.serverName,
      pool: options.pool,
    });
    return verdict.cause === 'ok' ? undefined : `${verdict.cause} (${leaf.label})`;
  };
}

/**
 * How the backend connects to a broker certfleet runs (embedded or Mosquitto): with its identity from the scenario's
 * PKI, judging the broker's chain as scenarioBrokerCheck does at the broker's reading of the timeline's start (it
 * connects before the first epoch).
 */
export function scenarioBackendConnection(
  config: { pki: ScenarioPki; serverChains: Record<string, string[]>; serverName: string },
  identity: { clientId: string; keyPem: string; certificatePem: string; chainPems: string[] },
  address: { host: string; port: number },
  pool: CertificatePool,
  startReading: () => number,
): { host: string; port: number; clientId: string; keyPem: string; certificateChainPem: string; checkServer: (chain: ParsedCertificate[]) => string | undefined } {
  return {
    host: address.host,
    port: address.port,
    clientId: identity.clientId,
    keyPem: identity.keyPem,
    certificateChainPem: [identity.certificatePem, ...identity.chainPems].join(''),
    checkServer: scenarioBrokerCheck({
      pki: config.pki,
      serverCertificates: Object.keys(config.serverChains),
      serverName: config.serverName,
      pool,
      clockReading: startReading,
    }),
  };
}
