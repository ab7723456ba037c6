import { deviceProfile } from '../plan/device-profile.js';
import type { FleetPlan } from '../plan/fleet-plan.js';
import { generateKeyPair } from '../pki/index.js';
import { authorityFromPki, type ScenarioPki } from './build-scenario-pki.js';

export interface FactoryCredentials {
  keyPem: string;
  certificatePem: string;
  chainPems: string[];
  /** The long-lived bootstrap (birth, claim) identity, when the scenario issues one. */
  bootstrap?: Omit<FactoryCredentials, 'bootstrap'> | undefined;
}

/**
 * The factory: every device gets a fresh key and a first certificate (CN = device id) from the device issuing CA,
 * issued at the time its profile draws (RFC 5280 4.1.2.5: notBefore backdated by the scenario's backdate).
 */
export function manufactureDevices(plan: FleetPlan, pki: ScenarioPki): Record<string, FactoryCredentials> {
  const spec = plan.scenario.pki.deviceCertificates;
  const issuer = authorityFromPki(pki, spec.issuer, plan.seed, 'factory');
  const chainPems = spec.chain.map((name) => pki.certificates[name] ?? '');
  const bootstrapSpec = plan.scenario.pki.bootstrapCertificates;
  const bootstrapIssuer = bootstrapSpec && authorityFromPki(pki, bootstrapSpec.issuer, plan.seed, 'factory-bootstrap');
  const bootstrapChain = bootstrapSpec?.chain.map((name) => pki.certificates[name] ?? '') ?? [];
  const start = plan.scenario.timeline.start;
  const credentials: Record<string, FactoryCredentials> = {};
  for (const device of plan.devices) {
    // A cloned identity: the factory flashed this device with another one's certificate and key.
    const original = credentials[device.credentialsOf];
    if (device.credentialsOf !== device.id && original) {
      credentials[device.id] = original;
      continue;
    }
    const profile = deviceProfile(plan, device);
    const keyPair = generateKeyPair(spec.key);
    const issued = issuer.issue({
      subject: { CN: device.id },
      publicKey: keyPair.publicKey,
      profile: 'device',
      notBefore: profile.firstIssuedAt - spec.backdate,
      notAfter: profile.firstIssuedAt + spec.lifetime,
    });
    credentials[device.id] = {
      keyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      certificatePem: issued.pem,
      chainPems,
    };
    if (bootstrapSpec && bootstrapIssuer) {
      // Made with the device, before the timeline starts, and meant to outlive it.
      const bootstrapKey = generateKeyPair(bootstrapSpec.key);
      const birth = Math.min(start, profile.firstIssuedAt);
      const identity = bootstrapIssuer.issue({
        subject: { CN: device.id },
        publicKey: bootstrapKey.publicKey,
        profile: 'device',
        notBefore: birth - spec.backdate,
        notAfter: birth + bootstrapSpec.lifetime,
      });
      credentials[device.id] = {
        ...(credentials[device.id] as FactoryCredentials),
        bootstrap: {
          keyPem: bootstrapKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          certificatePem: identity.pem,
          chainPems: bootstrapChain,
        },
      };
    }
  }
  return credentials;
}
