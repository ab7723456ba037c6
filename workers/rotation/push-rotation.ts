import type { BackendStartedHalf } from './rotation-protocol.js';

/**
 * Server push: the backend sent a certificate and its key (a `push` cohort's rotation, or a planned certificate
 * delivery); the device installs them at their effective time.
 */
export const pushRotation: BackendStartedHalf<'certificate'> = {
  receive(host, message) {
    const credentials = host.adopt({ keyPem: message.key, certificatePem: message.certificate, chainPems: message.chain });
    return async (t) => ({ kind: 'install', at: t, credentials, requestMs: 0 });
  },
};
