import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import type { BrokerConfig } from '../broker-config.js';
import { startBackend, type Backend, type BackendRegisters } from './backend.js';
import { connectBrokerLink, type ReconnectableBrokerLink } from './broker-link.js';

/** Wall-clock guard for the backend's handshake and CONNACK: a broker on loopback answers in milliseconds. */
const BACKEND_CONNECT_TIMEOUT_MS = 30_000;

export interface BackendConnection {
  host: string;
  port: number;
  /** The client id the backend connects with (its certificate's CN). */
  clientId: string;
  keyPem: string;
  /** The backend's certificate followed by its chain, PEM. */
  certificateChainPem: string;
  /** The backend's verdict on the broker's chain: undefined to go on, or why not (broker-chain-check.ts). */
  checkServer: (chain: ParsedCertificate[]) => string | undefined;
}

/**
 * Connects the backend to a broker, whichever it is (embedded Aedes, a Mosquitto certfleet runs, a team's broker), as
 * an MQTT client over mutual TLS, and starts its services on that link.
 */
export async function connectBackend(
  config: BrokerConfig,
  connection: BackendConnection,
  registers: BackendRegisters,
  onEvent: (event: FleetEvent) => void,
): Promise<{ backend: Backend; link: ReconnectableBrokerLink }> {
  const link = await connectBrokerLink({
    ...connection,
    serverName: config.serverName,
    pool: registers.pool,
    timeoutMs: BACKEND_CONNECT_TIMEOUT_MS,
  });
  try {
    return { backend: await startBackend(config, link, registers, onEvent), link };
  } catch (error) {
    await link.close().catch(() => undefined);
    throw error;
  }
}
