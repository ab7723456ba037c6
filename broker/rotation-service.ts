import { CA_UNAVAILABLE, type RotationResponse } from '../sim/device-api/messages.js';
import { deviceTopics } from '../sim/device-api/topics.js';
import { csrFromText } from '../sim/pki/index.js';
import type { BrokerLink } from './backend/broker-link.js';
import type { DeviceCa } from './device-ca.js';
import { publishJson } from './publish-json.js';
import { subscribeJson, type RequestGuard } from './subscribe-json.js';

/**
 * CSR rotation on the device's own topics: a device publishes a CSR (PEM or base64 DER), the CA answers on the
 * device's topic with the certificate (stamped when the CA served it) or why not. A request without `t` is served at
 * the broker's clock. A request the backend does not serve (malformed, or a `t` outside the current epoch) gets
 * `ok: false` with the reason.
 */
export async function startRotationService(broker: BrokerLink, ca: DeviceCa, guard: RequestGuard): Promise<void> {
  await subscribeJson(broker, guard, {
    kind: 'rotation-csr',
    filter: 'devices/+/rotation/csr',
    serve: (deviceId, request) => {
      // The schema admitted only text csrFromText reads; an empty DER would be the CA's malformed_csr all the same.
      const csrDer = csrFromText(request.csr) ?? Buffer.alloc(0);
      const issued = ca.signCsr(deviceId, csrDer, request.t ?? guard.window.now);
      const echo = request.requestId === undefined ? {} : { requestId: request.requestId };
      const response: RotationResponse = issued.ok
        ? { ...echo, ok: true, certificate: issued.certificatePem, chain: issued.chain, issuedAt: issued.issuedAt }
        : { ...echo, ok: false, reason: issued.reason, ...(issued.reason === CA_UNAVAILABLE.reason ? { statusCode: CA_UNAVAILABLE.statusCode } : {}) };
      return publishJson(broker, deviceTopics(deviceId).certificate, response);
    },
    refuse: (deviceId, refusal, echo) => {
      const response: RotationResponse = { ...(echo.requestId === undefined ? {} : { requestId: echo.requestId }), ok: false, reason: refusal.reason, detail: refusal.problem };
      return publishJson(broker, deviceTopics(deviceId).certificate, response);
    },
  });
}
