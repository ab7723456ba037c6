import { createHash } from 'node:crypto';
import type { DeliveryMessage } from '../sim/device-api/messages.js';
import type { Delivery } from '../sim/plan/fleet-plan.js';
import { generateKeyPair, pemToDer, type KeyAlgorithm } from '../sim/pki/index.js';
import type { ScenarioPki } from '../sim/scenario-pki/build-scenario-pki.js';
import type { DeviceCa } from './device-ca.js';

/**
 * The messages of the scenario's planned deliveries. A trust bundle carries the PEMs of the authorities to add and
 * the SHA-256 fingerprints of those to remove; a certificate push carries a fresh key and a certificate from the
 * backend's device CA (its clock, its issuance queue), like the pushes of `push` cohorts.
 */
export function plannedDeliveryMessages(pki: ScenarioPki, ca: DeviceCa, keyAlgorithm: KeyAlgorithm): (delivery: Delivery) => DeliveryMessage {
  const pem = (name: string) => pki.certificates[name] ?? '';
  const fingerprint = (name: string) => createHash('sha256').update(pemToDer(pem(name))[0] ?? Buffer.alloc(0)).digest('hex');
  return (delivery) => {
    if (delivery.kind === 'trust-bundle') {
      return {
        kind: 'trust-bundle',
        updateId: delivery.updateId,
        effectiveAt: delivery.effectiveAt,
        add: delivery.add.map(pem),
        remove: delivery.remove.map(fingerprint),
      };
    }
    return pushMessage(ca, keyAlgorithm, delivery.deviceId, delivery.updateId, delivery.effectiveAt);
  };
}

/** Server push: the backend makes the key, its CA the certificate, and both go to the device. */
export function pushMessage(ca: DeviceCa, keyAlgorithm: KeyAlgorithm, deviceId: string, updateId: string, t: number): Extract<DeliveryMessage, { kind: 'certificate' }> {
  const keyPair = generateKeyPair(keyAlgorithm);
  const issued = ca.issueForKey(deviceId, keyPair.publicKey, t);
  return {
    kind: 'certificate',
    updateId,
    effectiveAt: issued.issuedAt,
    certificate: issued.certificatePem,
    chain: issued.chain,
    key: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
