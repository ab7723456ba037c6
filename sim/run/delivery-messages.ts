import { createHash } from 'node:crypto';
import type { DeliveryMessage } from '../device-api/messages.js';
import type { Delivery, FleetPlan } from '../plan/fleet-plan.js';
import { generateKeyPair, pemToDer } from '../pki/index.js';
import { authorityFromPki, type ScenarioPki } from '../scenario-pki/build-scenario-pki.js';
import { DeviceClock } from '../time/device-clock.js';

/**
 * Builds the message for each planned delivery. Trust bundles carry the PEMs of authorities to add and the SHA-256
 * fingerprints of those to remove. A certificate push carries a fresh key and a certificate from the device CA,
 * stamped at the backend's clock reading of the delivery time (the backend shares the broker's clock).
 */
export function deliveryMessages(plan: FleetPlan, pki: ScenarioPki): (delivery: Delivery) => DeliveryMessage {
  const { scenario, seed } = plan;
  const spec = scenario.pki.deviceCertificates;
  const pem = (name: string) => pki.certificates[name] ?? '';
  const fingerprint = (name: string) => createHash('sha256').update(pemToDer(pem(name))[0] ?? Buffer.alloc(0)).digest('hex');
  let issuer: ReturnType<typeof authorityFromPki> | undefined;
  const clock = new DeviceClock(
    { offsetMs: scenario.broker.clock.offset, driftPpm: scenario.broker.clock.driftPpm, jumps: [] },
    scenario.timeline.start,
  );
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
    issuer ??= authorityFromPki(pki, spec.issuer, seed, 'push');
    const keyPair = generateKeyPair(spec.key);
    const now = clock.read(delivery.effectiveAt);
    const issued = issuer.issue({
      subject: { CN: delivery.deviceId },
      publicKey: keyPair.publicKey,
      profile: 'device',
      notBefore: now - spec.backdate,
      notAfter: now + spec.lifetime,
    });
    return {
      kind: 'certificate',
      updateId: delivery.updateId,
      effectiveAt: delivery.effectiveAt,
      certificate: issued.pem,
      chain: spec.chain.map(pem),
      key: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  };
}
