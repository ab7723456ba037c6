/**
 * Payloads on the device topics, as JSON. Certificates travel as PEM. Every request carries the true time of the
 * action (`t`, ms since the Unix epoch): the CA judges and stamps at its own clock reading of that time.
 */
export interface RotationRequest {
  requestId: string;
  t: number;
  /** PKCS#10 CSR, base64 DER. */
  csr: string;
}

export type RotationResponse =
  | {
      requestId: string;
      ok: true;
      certificate: string;
      chain: string[];
      /** True time at which the CA served the request (later than asked when its issuance queue is backed up). */
      issuedAt: number;
    }
  | { requestId: string; ok: false; reason: string };

export type DeliveryMessage =
  | {
      kind: 'trust-bundle';
      updateId: string;
      effectiveAt: number;
      /** Anchors to add, PEM. */
      add: string[];
      /** SHA-256 fingerprints (hex) of anchors to remove. */
      remove: string[];
    }
  | {
      kind: 'certificate';
      updateId: string;
      effectiveAt: number;
      certificate: string;
      chain: string[];
      /** PKCS#8 PEM: the server-push method sends the key with the certificate. */
      key: string;
    };

export interface DeliveryAck {
  updateId: string;
  result: string;
}

export interface SyncRequest {
  t: number;
}

export interface SyncResponse {
  deliveries: DeliveryMessage[];
}

/** MQTT 3.1.1 has no user properties, so the CONNECT username carries the true time of the connect. */
const SIM_TIME_PREFIX = 'certfleet-t=';

export function simTimeUsername(t: number): string {
  return `${SIM_TIME_PREFIX}${new Date(t).toISOString()}`;
}

export function parseSimTimeUsername(username: string | undefined): number | undefined {
  if (!username?.startsWith(SIM_TIME_PREFIX)) return undefined;
  const t = Date.parse(username.slice(SIM_TIME_PREFIX.length));
  return Number.isNaN(t) ? undefined : t;
}
