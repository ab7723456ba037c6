import type { ParsedCertificate } from '../sim/verify/types.js';

/**
 * The backend's register of device certificates (what AWS IoT calls the certificate registry): every certificate
 * the CA issued or the broker saw, its status, which one each device uses now, and who is connected with which.
 * Admission consults it (an inactive certificate is refused); the renewal orchestrator and the audits read it.
 */
export type CertificateStatus = 'active' | 'pending-activation' | 'inactive';

export interface RegisteredCertificate {
  key: string;
  deviceId: string;
  issuer: string;
  serialHex: string;
  notBefore: number;
  notAfter: number;
  /** 'ec-256', 'rsa-2048', 'rsa-1024', ... */
  keyDescription: string;
  status: CertificateStatus;
}

interface Session {
  clientId: string;
  certificateKey: string;
  since: number;
}

export class DeviceRegistry {
  readonly #certificates = new Map<string, RegisteredCertificate>();
  readonly #current = new Map<string, string>();
  /** Live sessions by connection (a client object is the key, as two connections may share a client id). */
  readonly #sessions = new Map<object, Session>();
  /** Live sessions per certificate key and per client id, so admission asks "is it in use?" in O(1). */
  readonly #liveByCertificate = new Map<string, number>();
  readonly #liveByClientId = new Map<string, number>();
  /** Every certificate key registered for a device, for the commit step. */
  readonly #keysByDevice = new Map<string, Set<string>>();
  /** Over the audit look-back: connections per certificate and per client id (AWS audits look back 31 days). */
  readonly #connections: { t: number; clientId: string; certificateKey: string }[] = [];

  /** A certificate the CA issued (status active, or pending until a registration activates it). */
  issued(deviceId: string, certificate: ParsedCertificate, status: CertificateStatus = 'active'): RegisteredCertificate {
    const entry = this.#register(deviceId, certificate, status);
    if (status === 'active') this.#current.set(deviceId, entry.key);
    return entry;
  }

  /**
   * A certificate a device connected with (factory certificates are first seen here). Only an operational session
   * makes it the device's current certificate; a bootstrap identity's session does not.
   */
  admitted(connection: object, clientId: string, certificate: ParsedCertificate, t: number, operational = true): void {
    const entry = this.#certificates.get(certificateKey(certificate)) ?? this.#register(certificate.label, certificate, 'active');
    if (operational) this.#current.set(entry.deviceId, entry.key);
    this.disconnected(connection);
    this.#sessions.set(connection, { clientId, certificateKey: entry.key, since: t });
    bump(this.#liveByCertificate, entry.key, 1);
    bump(this.#liveByClientId, clientId, 1);
    this.#connections.push({ t, clientId, certificateKey: entry.key });
  }

  disconnected(connection: object): void {
    const session = this.#sessions.get(connection);
    if (!session) return;
    this.#sessions.delete(connection);
    bump(this.#liveByCertificate, session.certificateKey, -1);
    bump(this.#liveByClientId, session.clientId, -1);
  }

  /** Whether some live session authenticated with this certificate, and whether one uses this client id. */
  inUse(certificateKey: string, clientId: string): { certificate: boolean; clientId: boolean } {
    return { certificate: this.#liveByCertificate.has(certificateKey), clientId: this.#liveByClientId.has(clientId) };
  }

  statusOf(certificate: ParsedCertificate): CertificateStatus | undefined {
    return this.#certificates.get(certificateKey(certificate))?.status;
  }

  setStatus(key: string, status: CertificateStatus): void {
    const entry = this.#certificates.get(key);
    if (!entry) return;
    entry.status = status;
    if (status === 'active') this.#current.set(entry.deviceId, key);
  }

  /** The commit step of a rotation: every other active certificate of the device is deactivated. */
  deactivateAllBut(deviceId: string, keep: string): void {
    for (const key of this.#keysByDevice.get(deviceId) ?? []) {
      const entry = this.#certificates.get(key);
      if (entry && entry.key !== keep && entry.status === 'active') entry.status = 'inactive';
    }
  }

  /** The certificate a device uses now, as far as the backend knows. */
  currentOf(deviceId: string): RegisteredCertificate | undefined {
    const key = this.#current.get(deviceId);
    return key === undefined ? undefined : this.#certificates.get(key);
  }

  /** The certificate a live connection authenticated with. */
  sessionCertificate(connection: object): RegisteredCertificate | undefined {
    const session = this.#sessions.get(connection);
    return session ? this.#certificates.get(session.certificateKey) : undefined;
  }

  currentCertificates(): RegisteredCertificate[] {
    return [...this.#current.values()].flatMap((key) => this.#certificates.get(key) ?? []);
  }

  /** Connections since `since` (true time), dropping older ones from memory. */
  connectionsSince(since: number): readonly { t: number; clientId: string; certificateKey: string }[] {
    let drop = 0;
    while (drop < this.#connections.length && (this.#connections[drop]?.t ?? Infinity) < since) drop += 1;
    if (drop > 0) this.#connections.splice(0, drop);
    return this.#connections;
  }

  certificate(key: string): RegisteredCertificate | undefined {
    return this.#certificates.get(key);
  }

  #register(deviceId: string, certificate: ParsedCertificate, status: CertificateStatus): RegisteredCertificate {
    const entry: RegisteredCertificate = {
      key: certificateKey(certificate),
      deviceId,
      issuer: certificate.issuer,
      serialHex: certificate.serialHex,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      keyDescription: describeKey(certificate),
      status,
    };
    this.#certificates.set(entry.key, entry);
    let keys = this.#keysByDevice.get(deviceId);
    if (!keys) {
      keys = new Set();
      this.#keysByDevice.set(deviceId, keys);
    }
    keys.add(entry.key);
    return entry;
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}

/** RFC 5280 4.1.2.2: issuer name and serial number identify a certificate. */
export function certificateKey(certificate: { issuer: string; serialHex: string }): string {
  return `${certificate.issuer}\u0000${certificate.serialHex.toLowerCase()}`;
}

function describeKey(certificate: ParsedCertificate): string {
  const details = certificate.publicKey.asymmetricKeyDetails;
  if (certificate.publicKey.asymmetricKeyType === 'rsa') return `rsa-${details?.modulusLength ?? 0}`;
  return `${certificate.publicKey.asymmetricKeyType ?? 'unknown'}-${details?.namedCurve ?? ''}`;
}
