import { z } from 'zod';
import { csrFromText } from '../pki/csr-text.js';
import { describeRequestSchema, getPendingRequestSchema, startNextRequestSchema, updateRequestSchema } from './jobs-messages.js';

/**
 * Payloads on the device topics, as JSON. Certificates travel as PEM. Every request of a certfleet device carries the
 * true time of the action (`t`, ms since the Unix epoch): the CA judges and stamps at its own clock reading of that
 * time. AWS's fleet-provisioning requests may omit it (a client written against AWS's documentation does not send it).
 *
 * Every request a device may send has a schema next to its type: the backend serves only bodies that pass it, and
 * answers any other with a refusal (see broker/subscribe-json.ts).
 */

/** ECMA-262 21.4.1.1: a time value a Date can hold is within 8.64e15 ms of the Unix epoch. */
const MAX_TIME_VALUE = 8.64e15;

/** A true time as a device claims it: finite, and one a Date can hold (whether it is now is the broker's call). */
export const trueTimeSchema = z.number().min(-MAX_TIME_VALUE).max(MAX_TIME_VALUE);

/** Request ids, job ids, update ids, tokens: strings the backend echoes back (they embed device ids, so allow room). */
const idSchema = z.string().min(1).max(1024);

/**
 * A PKCS#10 CSR: PEM (RFC 7468 7), as AWS's CreateCertificateFromCsr takes it and `openssl req` writes it, or DER in
 * base64 (RFC 4648 4), as certfleet's simulated devices send it; 64 KiB is far above any CSR certfleet or a device
 * makes. Whether it is a valid CSR is the CA's call (malformed_csr).
 */
const csrTextSchema = z
  .string()
  .min(4)
  .max(65_536)
  .refine((text) => csrFromText(text) !== undefined, 'expected a PEM certificate request (RFC 7468 7) or base64 DER (RFC 4648 4)');

/**
 * certfleet's own rotation request on `devices/<id>/rotation/csr`. `requestId` is echoed in the answer when sent;
 * `t` (the true time of a certfleet device's request) may be left out, and a body without it is served at the
 * broker's clock, so a shell client (`openssl req` + `mosquitto_rr`) can send just `{"csr": "<PEM>"}`.
 */
export const rotationRequestSchema = z.object({
  requestId: idSchema.optional(),
  t: trueTimeSchema.optional(),
  csr: csrTextSchema,
});
export type RotationRequest = z.infer<typeof rotationRequestSchema>;

export type RotationResponse =
  | {
      /** Echoed when the request carried one. */
      requestId?: string | undefined;
      ok: true;
      certificate: string;
      chain: string[];
      /** True time at which the CA served the request (later than asked when its issuance queue is backed up). */
      issuedAt: number;
    }
  | {
      /** Echoed when the request carried a readable one. */
      requestId?: string | undefined;
      ok: false;
      /** The CA's reason, or the cause of a request refused unserved (malformed_request, time_claim_outside_epoch). */
      reason: string;
      detail?: string | undefined;
      /** 503 when the CA is down (an injected fault). */
      statusCode?: number | undefined;
    };

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
      /**
       * A rotation job: the backend's record of it. It travels as AWS IoT Jobs' notify-next, and the device's
       * start-next acknowledges it (broker/jobs/jobs-api-service.ts); never on the delivery topic.
       */
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

/**
 * AWS IoT fleet provisioning's MQTT API, field for field as AWS documents it
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html); certfleet's extensions are
 * optional fields an AWS client never sends and ignores in a reply (a JSON reader skips names it does not know, as
 * AWS's device SDKs do). The extensions: `requestId` (echoed back, so a device can match its answer), `t` (the true
 * time of a certfleet device's request; a body without one is served at the broker's clock), and in replies the
 * simulated times a request was served at (`issuedAt`, `registeredAt`, `rejectedAt`, `tokenExpiredAt`) and the
 * issuing chain (`chain`).
 */
const awsExtensions = {
  requestId: idSchema.optional(),
  t: trueTimeSchema.optional(),
};

/** PEM (RFC 7468) as AWS's API carries certificates, CSRs and keys; 64 KiB as AWS's certificatePem (its API reference). */
const pemTextSchema = z.string().min(1).max(65_536);

/**
 * CreateCertificateFromCsr request: `{"certificateSigningRequest": "string"}`, the CSR in PEM
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html#create-cert-csr). The certificate
 * it issues is PENDING_ACTIVATION until RegisterThing redeems the ownership token.
 */
export const createFromCsrRequestSchema = z.object({
  certificateSigningRequest: pemTextSchema,
  ...awsExtensions,
});
export type CreateFromCsrRequest = z.infer<typeof createFromCsrRequestSchema>;

/**
 * The error response on every fleet-provisioning `/rejected` topic: `{statusCode, errorCode, errorMessage}`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html).
 */
export interface AwsErrorResponse {
  statusCode: number;
  errorCode: FleetProvisioningErrorCode;
  errorMessage: string;
  /** certfleet: the request's own id, echoed when it carried a readable one. */
  requestId?: string | undefined;
}

/** CreateCertificateFromCsr's accepted response: `{certificateOwnershipToken, certificateId, certificatePem}`. */
export interface CreateFromCsrAccepted {
  certificateOwnershipToken: string;
  /** AWS: the SHA-256 of the certificate's DER in hex (64 characters, its API reference's certificateId). */
  certificateId: string;
  certificatePem: string;
  /** certfleet: the request's id, the issuing chain (PEM, leaf's issuer first) and the true time the CA served it. */
  requestId?: string | undefined;
  chain: string[];
  issuedAt: number;
}
export type CreateFromCsrReply = CreateFromCsrAccepted | AwsErrorResponse;

/**
 * CreateKeysAndCertificate request: `{}`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html#create-keys-cert); the backend makes the key pair (the scenario's device key algorithm) and returns the private key once.
 */
export const createKeysAndCertificateRequestSchema = z.object(awsExtensions);
export type CreateKeysAndCertificateRequest = z.infer<typeof createKeysAndCertificateRequestSchema>;

/** CreateKeysAndCertificate's accepted response: `{certificateId, certificatePem, privateKey, certificateOwnershipToken}`. */
export interface CreateKeysAndCertificateAccepted extends CreateFromCsrAccepted {
  /** PKCS#8 PEM. */
  privateKey: string;
}
export type CreateKeysAndCertificateReply = CreateKeysAndCertificateAccepted | AwsErrorResponse;

/**
 * RegisterThing request: `{"certificateOwnershipToken": "string", "parameters": {"string": "string"}}`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html#register-thing); parameters are
 * optional, with the key and value lengths of AWS's RegisterThing API reference. An empty token reaches the service,
 * which refuses it as AWS does (InvalidCertificateOwnershipToken).
 */
export const provisionRequestSchema = z.object({
  certificateOwnershipToken: z.string().max(1024),
  parameters: z.record(z.string().max(2048), z.string().max(4096)).optional(),
  ...awsExtensions,
});
export type ProvisionRequest = z.infer<typeof provisionRequestSchema>;

/** RegisterThing's accepted response: `{deviceConfiguration, thingName}`. */
export interface ProvisionAccepted {
  /** The template's device configuration: certfleet's template has none, so `{}`. */
  deviceConfiguration: Record<string, string>;
  /** The thing registered: the device's id (the client id, which admission tied to its certificate's CN). */
  thingName: string;
  /** certfleet: the request's id and the true time RegisterThing served it (after its queue). */
  requestId?: string | undefined;
  registeredAt: number;
}

export type ProvisionReply =
  | ProvisionAccepted
  | (AwsErrorResponse & {
      /** certfleet: the true time the refusal was served (after the registration queue). */
      rejectedAt: number;
      /** certfleet: the true time the ownership token expired, when that is why (AWS: 1 hour after it was issued). */
      tokenExpiredAt?: number | undefined;
    });

export const deliveryAckSchema = z.object({
  updateId: idSchema,
  result: z.string().max(256),
});
export type DeliveryAck = z.infer<typeof deliveryAckSchema>;

/** Names one MQTT session of a device, so a notice about an earlier session never takes a later one offline. */
const sessionIdSchema = z.string().min(1).max(64);

export const syncRequestSchema = z.object({
  t: trueTimeSchema,
  /** The session asking: the backend holds the device online in it until that session's offline notice. */
  session: sessionIdSchema.optional(),
});
export type SyncRequest = z.infer<typeof syncRequestSchema>;

export interface SyncResponse {
  deliveries: DeliveryMessage[];
  /** Why the backend refused the sync request (then nothing is delivered and the queue is kept). */
  refused?: string | undefined;
}

/**
 * A device's session goes offline: `disconnect` published (QoS 1) before a DISCONNECT, `taken-over` published by the
 * session that took an earlier one of the same client id over ([MQTT-3.1.4-2]), `will` the session's MQTT Will, which
 * the broker publishes when the connection ends without DISCONNECT. No true time: a Will is sent when the broker
 * notices, which is wall time; the session id says which session it is about.
 */
export const offlineNoticeSchema = z.object({
  session: sessionIdSchema,
  reason: z.enum(['disconnect', 'taken-over', 'will']),
});
export type OfflineNotice = z.infer<typeof offlineNoticeSchema>;

/**
 * The requests a device may send the backend, by topic kind: what the broker's counts and records name them by.
 * `claimsTime`: the body carries a true time `t` the broker holds against the current epoch.
 */
export const DEVICE_REQUESTS = {
  'rotation-csr': { schema: rotationRequestSchema, claimsTime: true },
  'create-from-csr': { schema: createFromCsrRequestSchema, claimsTime: true },
  'create-keys-and-certificate': { schema: createKeysAndCertificateRequestSchema, claimsTime: true },
  provision: { schema: provisionRequestSchema, claimsTime: true },
  'jobs-start-next': { schema: startNextRequestSchema, claimsTime: true },
  'jobs-get-pending': { schema: getPendingRequestSchema, claimsTime: true },
  'jobs-describe': { schema: describeRequestSchema, claimsTime: true },
  'jobs-update': { schema: updateRequestSchema, claimsTime: true },
  sync: { schema: syncRequestSchema, claimsTime: true },
  'delivery-ack': { schema: deliveryAckSchema, claimsTime: false },
  'offline-notice': { schema: offlineNoticeSchema, claimsTime: false },
} as const;

export type DeviceRequestKind = keyof typeof DEVICE_REQUESTS;

export const DEVICE_REQUEST_KINDS = Object.keys(DEVICE_REQUESTS) as DeviceRequestKind[];

/**
 * Error codes of a refused request on the fleet-provisioning topics. AWS documents the error response's shape, not a
 * list of codes; certfleet uses AWS IoT's: `InvalidPayload` (400) for a body that is not the documented request,
 * `InvalidRequest` (400) for a CSR that does not parse or that the CA refuses (AWS's CreateCertificateFromCsr API
 * reference: InvalidRequestException), `InvalidCertificateOwnershipToken` (400) for RegisterThing with an empty,
 * unknown or expired token (what AWS answers an empty one with: aws/aws-iot-device-sdk-js-v2#69),
 * `ServiceUnavailable` (503) and `InternalFailure` (500); and certfleet's `InvalidTimeClaim` (400) for a `t` outside
 * the current epoch.
 */
export type RequestErrorCode = 'InvalidPayload' | 'InvalidTimeClaim' | 'InternalFailure';
export type FleetProvisioningErrorCode =
  | RequestErrorCode
  | 'InvalidRequest'
  | 'InvalidCertificateOwnershipToken'
  | typeof CA_UNAVAILABLE.reason;

/** MQTT 3.1.1 has no user properties, so the CONNECT username carries the true time of the connect. */
const SIM_TIME_PREFIX = 'certfleet-t=';

export function simTimeUsername(t: number): string {
  return `${SIM_TIME_PREFIX}${new Date(t).toISOString()}`;
}

/** What a CONNECT username says about the connect's true time: nothing (another client), a time, or nonsense. */
export type TimeClaim = { kind: 'none' } | { kind: 'claimed'; t: number } | { kind: 'unreadable'; text: string };

/** Reads the claim as `simTimeUsername` writes it, exactly (ISO 8601 in the form of Date.prototype.toISOString). */
export function readSimTimeUsername(username: string | undefined): TimeClaim {
  if (!username?.startsWith(SIM_TIME_PREFIX)) return { kind: 'none' };
  const text = username.slice(SIM_TIME_PREFIX.length);
  const t = Date.parse(text);
  if (Number.isNaN(t) || new Date(t).toISOString() !== text) return { kind: 'unreadable', text: text.slice(0, 64) };
  return { kind: 'claimed', t };
}
