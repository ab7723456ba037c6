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
  return (chain) => {
    const [leaf, ...presented] = chain;
    if (!leaf) return 'the broker sent no certificate';
    const verdict = verifyChainAt({
      leaf,
      presented,
      anchors: roots,
      at: options.clockReading(),
      policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
      purpose: 'serverAuth',
      hostname: options.serverName,
      pool: options.pool,
    });
    if (verdict.cause === 'ok' || pins.has(leaf.fingerprint)) return undefined;
    return `${verdict.cause} (${leaf.label})`;
  };
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
  const anchors = options.pool.parsePem(options.caPem);
  return (chain) => {
    const [leaf, ...presented] = chain;
    if (!leaf) return 'the broker sent no certificate';
    const verdict = verifyChainAt({
      leaf,
      presented,
      anchors,
      at: options.clockReading(),
      policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
      purpose: 'serverAuth',
      hostname: options.serverName,
      pool: options.pool,
    });
    return verdict.cause === 'ok' ? undefined : `${verdict.cause} (${leaf.label})`;
  };
}
