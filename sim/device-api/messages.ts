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
  | { requestId: string; ok: false; reason: string; statusCode?: number | undefined };

/** The reason (AWS IoT errorCode) and status of a CA that is down: the device retries after its backoff. */
export const CA_UNAVAILABLE = { reason: 'ServiceUnavailable', statusCode: 503 } as const;

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
      /** A rotation job (AWS IoT Jobs style): renew now, then commit. */
      kind: 'job';
      updateId: string;
      effectiveAt: number;
      jobId: string;
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

/** create-from-csr: the certificate, inactive until RegisterThing redeems the ownership token. */
export interface CreateFromCsrRequest {
  requestId: string;
  t: number;
  certificateSigningRequest: string;
}

export type CreateFromCsrReply =
  | { requestId: string; certificateId: string; certificatePem: string; chain: string[]; certificateOwnershipToken: string; issuedAt: number }
  | { requestId: string; statusCode: number; errorCode: string; errorMessage: string };

export interface ProvisionRequest {
  requestId: string;
  t: number;
  certificateOwnershipToken: string;
}

export type ProvisionReply =
  | { requestId: string; thingName: string; registeredAt: number }
  | {
      requestId: string;
      statusCode: number;
      errorCode: 'OwnershipTokenExpired' | 'InvalidToken';
      errorMessage: string;
      /** True time the refusal was served (after the registration queue). */
      rejectedAt: number;
    };

export interface JobCommit {
  t: number;
  /** Serial of the certificate the device now connects with. */
  serialHex: string;
}

export type JobCommitReply = { jobId: string; status: 'SUCCEEDED' } | { jobId: string; status: 'REJECTED'; reason: string };

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
