/**
 * A well-behaved device against a real broker over mutual TLS: it connects with certfleet-issued credentials, rotates
 * its certificate by CSR (MQTT request and reply on its own topics), and connects again with the new certificate.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import type { RotationResponse } from '../../sim/device-api/messages.js';
import { deviceTopics } from '../../sim/device-api/topics.js';
import { createCsr, generateKeyPair } from '../../sim/pki/index.js';
import type { ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';
import { dialBroker, type DialOutcome } from '../../workers/broker-session.js';
import { deviceCredentials } from './device-credentials.js';

export interface RotationTarget {
  host: string;
  port: number;
  pki: ScenarioPki;
  /** The root the device trusts for the broker's chain. */
  serverRoot?: string;
}

const pool = new CertificatePool();

/** Dials as `clientId` and judges the broker's chain at t, as a device does. */
export function dialAs(target: RotationTarget, clientId: string, secureContext: SecureContext, t: number, timeoutMs = 10_000): Promise<DialOutcome> {
  const anchor = pool.parsePem(target.pki.certificates[target.serverRoot ?? 'server-root'] ?? '')[0] as ParsedCertificate;
  return dialBroker({
    address: target.host,
    port: target.port,
    serverName: 'localhost',
    secureContext,
    clientId,
    inbox: deviceTopics(clientId).subscription,
    t,
    pool,
    judge: ([leaf, ...presented]) => {
      if (!leaf) throw new Error('the broker sent no certificate');
      const policy = { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' } as const;
      return verifyChainAt({ leaf, presented, anchors: [anchor], at: t, trueTime: t, policy, purpose: 'serverAuth', hostname: 'localhost', pool });
    },
    timeoutMs,
  });
}

export type RotationResult = { ok: true; serial: string } | { ok: false; step: 'connect' | 'rotate' | 'reconnect'; detail: string };

/** Connects, rotates by CSR and reconnects with the issued certificate; says which step failed, if one did. */
export async function connectAndRotate(target: RotationTarget, clientId: string, t: number): Promise<RotationResult> {
  const first = await dialAs(target, clientId, deviceCredentials(target.pki, clientId, t).secureContext, t);
  if (!first.ok) return { ok: false, step: 'connect', detail: first.cause };
  const topics = deviceTopics(clientId);
  const keyPair = generateKeyPair('ec-p256');
  const csr = createCsr({ subject: { CN: clientId }, keyPair }).toString('base64');
  let reply: RotationResponse | undefined;
  try {
    await first.session.subscribe(topics.subscription);
    reply = await first.session.request<RotationResponse>(topics.csr, { requestId: `rotate-${t}`, t, csr }, topics.certificate, () => true, 10_000);
  } finally {
    await first.session.close();
  }
  if (!reply?.ok) return { ok: false, step: 'rotate', detail: reply ? reply.reason : 'no reply' };
  const key = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const rotated = createSecureContext({ key, cert: reply.certificate + reply.chain.join('') });
  const second = await dialAs(target, clientId, rotated, t);
  if (!second.ok) return { ok: false, step: 'reconnect', detail: second.cause };
  await second.session.close();
  return { ok: true, serial: pool.parsePem(reply.certificate)[0]?.serialHex ?? '' };
}
