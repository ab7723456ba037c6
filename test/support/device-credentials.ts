/** Device credentials issued by a scenario's device CA, as certfleet issues them, for tests that dial a broker. */
import { createSecureContext, type SecureContext } from 'node:tls';
import { generateKeyPair } from '../../sim/pki/index.js';
import { authorityFromPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { DAY } from './time.js';

export interface DeviceCredentials {
  keyPem: string;
  /** The leaf, then the issuing CA. */
  certificatePem: string;
  secureContext: SecureContext;
}

/** A certificate for `cn` from the scenario's `device-ca`, valid from a day before `t` to 30 days after. */
export function deviceCredentials(pki: ScenarioPki, cn: string, t: number, seed = 7): DeviceCredentials {
  const ca = authorityFromPki(pki, 'device-ca', seed, `test-${cn}`);
  const keyPair = generateKeyPair('ec-p256');
  const issued = ca.issue({ subject: { CN: cn }, publicKey: keyPair.publicKey, profile: 'device', notBefore: t - DAY, notAfter: t + 30 * DAY });
  const keyPem = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const certificatePem = issued.pem + (pki.certificates['device-ca'] ?? '');
  return { keyPem, certificatePem, secureContext: createSecureContext({ key: keyPem, cert: certificatePem }) };
}
