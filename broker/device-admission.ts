import type { TLSSocket } from 'node:tls';
import type { AuthenticateError, Client } from 'aedes';
import type { Cause } from '../sim/causes.js';
import { readSimTimeUsername, type TimeClaim } from '../sim/device-api/messages.js';
import type { DeviceClock } from '../sim/time/device-clock.js';
import type { CertificatePool } from '../sim/verify/certificate-pool.js';
import type { ParsedCertificate, Verdict } from '../sim/verify/types.js';
import { verifyChainAt } from '../sim/verify/verify-chain.js';
import { peerChain } from '../sim/tls/peer-chain.js';
import type { TimeClaims } from './broker-config.js';
import type { EpochWindow } from './epoch-window.js';

export interface AdmissionContext {
  pool: CertificatePool;
  clock: DeviceClock;
  /** The accepted device authorities right now. */
  anchors: () => readonly ParsedCertificate[];
  /** Authorities of bootstrap identities: admitted for provisioning only. */
  bootstrapAnchors: readonly ParsedCertificate[];
  /** Refuse a client id that is not the certificate's CN. */
  clientIdMustMatchCertificate: boolean;
  /** Admit, for renewal only, an operational certificate expired up to this long ago (undefined: never). */
  renewAfterExpiryMs: number | undefined;
  isRevoked: (cert: ParsedCertificate, issuer: ParsedCertificate, at: number) => boolean;
  /**
   * The current epoch: a client's claimed true time must lie in it; a client that claims none (one that is not a
   * certfleet device) is judged at its start.
   */
  epoch: EpochWindow;
  /**
   * 'ignore': the CONNECT user name is not read for a time at all; every client is judged at the epoch's start, the
   * broker's clock (`certfleet broker`). 'accept' (default): a certfleet device's claim inside the epoch is believed.
   */
  timeClaims?: TimeClaims | undefined;
  /** Capacity before certificates: is the broker up, and is there room under the connect rate limits? */
  capacity: (clientId: string, t: number) => 'rate_limited' | 'broker_unavailable' | undefined;
  /** The backend's record of a certificate: one issued but not activated, or deactivated, is refused. */
  certificateStatus: (leaf: ParsedCertificate) => 'active' | 'pending-activation' | 'inactive' | undefined;
  onAdmission: (decision: AdmissionDecision) => void;
  /**
   * The backend's client id and the SHA-256 fingerprint of its one certificate (broker/backend/backend-identity.ts):
   * a connection with that client id is the backend only if it presents exactly that certificate. A CN is no proof:
   * a device can be issued a certificate naming any CN the CA accepts.
   */
  backend?: { clientId: string; fingerprint: string } | undefined;
}

/**
 * What an admitted session may do: operational (everything under devices/<id>/), or provisioning only: a bootstrap
 * identity, or an operational certificate inside the renew-after-expiry grace.
 */
export type SessionRole = 'operational' | 'bootstrap' | 'renewal' | 'backend';

export interface AdmissionDecision {
  /** The connection (aedes client) the decision is about. */
  connection: object;
  clientId: string;
  t: number;
  cause: Cause;
  role?: SessionRole | undefined;
  verdict?: Verdict | undefined;
  leaf?: ParsedCertificate | undefined;
  /** The time a refused claim said, as the client wrote it. */
  claimed?: string | undefined;
  /** The time a claim said that the broker did not read (timeClaims 'ignore'), as the client wrote it. */
  claimIgnored?: string | undefined;
}

/** A CONNECT as admission sees it, wherever its connection lives (this process, or a broker instance's). */
export interface ConnectAttempt {
  /** The connection (the registry's key for its session). */
  connection: object;
  clientId: string;
  username: string | undefined;
  /** The certificates the client sent in its TLS handshake, leaf first (read only when needed). */
  chain: () => ParsedCertificate[];
}

/**
 * The aedes `authenticate` hook: the TLS handshake has proved the device holds the key of the certificate it sent;
 * here the broker judges that certificate's chain at the broker's clock, reads the one identity (CN) it names, and
 * ties the client id to it.
 * Refusing here (not in preConnect) sends a CONNACK with return code 5, "not authorized" (MQTT 3.1.1 3.2.2.3).
 */
export function deviceAdmission(context: AdmissionContext) {
  return (
    client: Client,
    username: Readonly<string | undefined>,
    _password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void => {
    const { decision, returnCode } = judgeConnect(context, {
      connection: client,
      clientId: client.id,
      username,
      chain: () => peerChain(client.conn as TLSSocket, context.pool),
    });
    if (returnCode === undefined) {
      done(null, true);
      return;
    }
    const error = new Error(`client ${client.id} refused: ${decision.cause}`) as AuthenticateError;
    (error as { returnCode: number }).returnCode = returnCode;
    done(error, false);
  };
}

/**
 * Judges one CONNECT and tells `onAdmission`; `returnCode` is the CONNACK refusal (MQTT 3.1.1 3.2.2.3: 3 "Server
 * unavailable" for capacity, 5 "Not authorized" for credentials and time claims), undefined when admitted.
 */
export function judgeConnect(context: AdmissionContext, attempt: ConnectAttempt): { decision: AdmissionDecision; returnCode?: 3 | 5 | undefined } {
  const written = readSimTimeUsername(attempt.username);
  const ignoring = context.timeClaims === 'ignore' && written.kind !== 'none';
  // A broker that ignores claims judges the client at its own clock whatever its user name says.
  const claim: TimeClaim = ignoring ? { kind: 'none' } : written;
  const claimIgnored = ignoring ? claimText(written) : undefined;
  const now = context.epoch.now;
  const { connection, clientId } = attempt;
  if (claim.kind === 'unreadable' || (claim.kind === 'claimed' && !context.epoch.admits(claim.t))) {
    // A client may not pick the time it is judged at: an expired certificate claiming an earlier date, a
    // not-yet-valid one a later one. Refused before capacity is spent on it, and recorded at the broker's time.
    const claimed = claim.kind === 'claimed' ? new Date(claim.t).toISOString() : claim.text;
    const decision: AdmissionDecision = { connection, clientId, t: now, cause: 'time_claim_outside_epoch', claimed };
    context.onAdmission(decision);
    return { decision, returnCode: 5 };
  }
  const t = claim.kind === 'claimed' ? claim.t : now;
  if (context.backend && clientId === context.backend.clientId) {
    // The backend's own session: recognised by its certificate, never counted against device capacity.
    const decision = { ...judgeBackend(context, context.backend.fingerprint, attempt, t), ...(claimIgnored === undefined ? {} : { claimIgnored }) };
    context.onAdmission(decision);
    return { decision, returnCode: decision.cause === 'ok' ? undefined : 5 };
  }
  const refusedForCapacity = context.capacity(clientId, t);
  const judged: AdmissionDecision = refusedForCapacity ? { connection, clientId, t, cause: refusedForCapacity } : judge(context, attempt, t);
  const decision = claimIgnored === undefined ? judged : { ...judged, claimIgnored };
  context.onAdmission(decision);
  if (decision.cause === 'ok') return { decision };
  return { decision, returnCode: refusedForCapacity ? 3 : 5 };
}

/** A claim as the client wrote it, for the record. */
function claimText(claim: TimeClaim): string | undefined {
  if (claim.kind === 'claimed') return new Date(claim.t).toISOString();
  if (claim.kind === 'unreadable') return claim.text;
  return undefined;
}

/**
 * A connection that names the backend's client id: admitted as the backend only with the backend's exact certificate,
 * inside its validity at the broker's clock (the TLS handshake proved the key). Any other certificate with that client
 * id is refused (client_id_mismatch) rather than admitted as a device: admitting it would take the backend's session
 * over ([MQTT-3.1.4-2]).
 */
function judgeBackend(context: AdmissionContext, fingerprint: string, attempt: ConnectAttempt, t: number): AdmissionDecision {
  const { connection, clientId } = attempt;
  const leaf = attempt.chain()[0];
  if (!leaf) return { connection, clientId, t, cause: 'client_cert_missing' };
  if (leaf.fingerprint !== fingerprint) return { connection, clientId, t, cause: 'client_id_mismatch', leaf };
  const at = context.clock.read(t);
  // RFC 5280 4.1.2.5: the validity period, at the broker's clock.
  const cause: Cause = at < leaf.notBefore ? 'not_yet_valid' : at > leaf.notAfter ? 'expired_leaf' : 'ok';
  return { connection, clientId, t, cause, leaf, role: 'backend' };
}

function judge(context: AdmissionContext, attempt: ConnectAttempt, t: number): AdmissionDecision {
  const { connection, clientId } = attempt;
  const chain = attempt.chain();
  const leaf = chain[0];
  if (!leaf) return { connection, clientId, t, cause: 'client_cert_missing' };
  const at = context.clock.read(t);
  const judgeUnder = (anchors: readonly ParsedCertificate[], when: number) =>
    verifyChainAt({
      leaf,
      presented: chain.slice(1),
      anchors,
      at: when,
      trueTime: t,
      policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
      purpose: 'clientAuth',
      isRevoked: context.isRevoked,
      pool: context.pool,
    });
  let verdict = judgeUnder(context.anchors(), at);
  let role: SessionRole = 'operational';
  if (verdict.cause === 'untrusted_root' && context.bootstrapAnchors.length > 0) {
    const asBootstrap = judgeUnder(context.bootstrapAnchors, at);
    if (asBootstrap.cause !== 'untrusted_root') {
      verdict = asBootstrap;
      role = 'bootstrap';
    }
  }
  const grace = context.renewAfterExpiryMs;
  if (role === 'operational' && verdict.certificateCause === 'expired_leaf' && grace !== undefined && at - leaf.notAfter <= grace) {
    // step-ca's allowRenewalAfterExpiry: the chain is judged as of the leaf's last valid second, the session may only renew.
    const atExpiry = judgeUnder(context.anchors(), leaf.notAfter);
    if (atExpiry.cause === 'ok') {
      verdict = atExpiry;
      role = 'renewal';
    }
  }
  const decided = (cause: Cause): AdmissionDecision => ({ connection, clientId, t, cause, verdict, leaf, role });
  if (verdict.cause !== 'ok') return decided(verdict.cause);
  // Who the certificate is, read as the CA reads a CSR (sim/pki nameIdentity): a subject two readers could read as
  // two devices is refused whatever the client id, so no later step picks one of its CNs.
  if (leaf.identity.kind === 'ambiguous') return decided('ambiguous_identity');
  const commonName = leaf.identity.kind === 'one' ? leaf.identity.commonName : undefined;
  if (context.clientIdMustMatchCertificate && commonName !== clientId) return decided('client_id_mismatch');
  const status = context.certificateStatus(leaf);
  if (status === 'inactive' || status === 'pending-activation') return decided('certificate_inactive');
  return decided('ok');
}
