import type { Aedes, AedesPublishPacket } from 'aedes';
import type { CertificateAuthority } from '../sim/pki/certificate-authority.js';
import type { RotationRequest, RotationResponse } from '../sim/device-api/messages.js';
import { deviceTopics, parseDeviceTopic } from '../sim/device-api/topics.js';
import type { DeviceClock } from '../sim/time/device-clock.js';
import { publishJson } from './publish-json.js';

export interface RotationServiceOptions {
  broker: Aedes;
  authority: CertificateAuthority;
  /** PEMs sent after the issued certificate. */
  chain: string[];
  clock: DeviceClock;
  lifetimeMs: number;
  backdateMs: number;
  /** With an issuance limit: the true time the CA gets to a request that arrived at t (a queue); else t itself. */
  issuanceSlot?: ((deviceId: string, t: number) => number) | undefined;
  onIssuance: (record: { deviceId: string; t: number; ok: boolean; reason?: string; certificatePem?: string }) => void;
}

/**
 * The CA behind the broker: a device publishes a CSR on its own topic, the CA checks the CSR (its signature, and
 * that the subject CN is the device that sent it, which admission tied to the certificate CN) and answers on the
 * device's own topic with a certificate stamped at the CA's clock reading of the request's true time.
 */
export async function startRotationService(options: RotationServiceOptions): Promise<void> {
  const { broker } = options;
  await new Promise<void>((resolve) => {
    broker.subscribe('devices/+/rotation/csr', (packet, callback) => {
      handle(options, packet);
      callback();
    }, resolve);
  });
}

function handle(options: RotationServiceOptions, packet: AedesPublishPacket): void {
  const topic = parseDeviceTopic(packet.topic);
  if (!topic) return;
  const { deviceId } = topic;
  let request: RotationRequest;
  try {
    request = JSON.parse(packet.payload.toString()) as RotationRequest;
  } catch {
    options.onIssuance({ deviceId, t: 0, ok: false, reason: 'malformed_request' });
    return;
  }
  const servedAt = options.issuanceSlot?.(deviceId, request.t) ?? request.t;
  const now = options.clock.read(servedAt);
  const result = options.authority.signCsr(Buffer.from(request.csr, 'base64'), {
    notBefore: now - options.backdateMs,
    notAfter: now + options.lifetimeMs,
    profile: 'device',
    expectedCommonName: deviceId,
  });
  const response: RotationResponse = result.ok
    ? { requestId: request.requestId, ok: true, certificate: result.certificate.pem, chain: options.chain, issuedAt: servedAt }
    : { requestId: request.requestId, ok: false, reason: result.reason };
  options.onIssuance(
    result.ok
      ? { deviceId, t: servedAt, ok: true, certificatePem: result.certificate.pem }
      : { deviceId, t: request.t, ok: false, reason: result.reason },
  );
  publishJson(options.broker, deviceTopics(deviceId).certificate, response);
}
