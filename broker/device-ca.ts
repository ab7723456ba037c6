import type { KeyObject } from 'node:crypto';
import type { CertificateAuthority } from '../sim/pki/certificate-authority.js';
import type { DeviceClock } from '../sim/time/device-clock.js';
import type { CaAvailability } from './ca-availability.js';

export interface IssuanceRecord {
  deviceId: string;
  /** True time the CA served the request. */
  t: number;
  ok: boolean;
  reason?: string | undefined;
  certificatePem?: string | undefined;
}

export type Issued = { ok: true; certificatePem: string; chain: string[]; issuedAt: number } | { ok: false; reason: string; issuedAt: number };

/**
 * The device-issuing CA as the backend runs it: one issuing authority, stamping certificates at the CA clock's
 * reading of the time it serves a request (behind its issuance queue when it has a limit), with the scenario's
 * lifetime and backdate (RFC 5280 4.1.2.5).
 */
export class DeviceCa {
  readonly #authority: CertificateAuthority;
  readonly #chain: string[];
  readonly #clock: DeviceClock;
  readonly #lifetimeMs: number;
  readonly #backdateMs: number;
  readonly #slot: (deviceId: string, t: number) => number;
  readonly #onIssuance: (record: IssuanceRecord) => void;
  readonly #refusal: (deviceId: string, t: number) => string | undefined;
  readonly #availability: CaAvailability | undefined;

  constructor(options: {
    authority: CertificateAuthority;
    chain: string[];
    clock: DeviceClock;
    lifetimeMs: number;
    backdateMs: number;
    issuanceSlot: (deviceId: string, t: number) => number;
    onIssuance: (record: IssuanceRecord) => void;
    /** Why the CA must not issue to this device now (its certificate or the CA itself revoked); undefined: it may. */
    refusal?: ((deviceId: string, t: number) => string | undefined) | undefined;
    /** Injected faults: the CA down (503) or slow for a window (broker/ca-availability.ts). */
    availability?: CaAvailability | undefined;
  }) {
    this.#authority = options.authority;
    this.#chain = options.chain;
    this.#clock = options.clock;
    this.#lifetimeMs = options.lifetimeMs;
    this.#backdateMs = options.backdateMs;
    this.#slot = options.issuanceSlot;
    this.#onIssuance = options.onIssuance;
    this.#refusal = options.refusal ?? (() => undefined);
    this.#availability = options.availability;
  }

  /** Checks and signs a device's CSR (its signature; its CN must be the device that sent it). */
  signCsr(deviceId: string, csrDer: Buffer, t: number): Issued {
    const slot = this.#admit(deviceId, t);
    if ('reason' in slot) return slot;
    const now = this.#clock.read(slot.issuedAt);
    const result = this.#authority.signCsr(csrDer, {
      notBefore: now - this.#backdateMs,
      notAfter: now + this.#lifetimeMs,
      profile: 'device',
      expectedCommonName: deviceId,
    });
    const issued: Issued = result.ok
      ? { ok: true, certificatePem: result.certificate.pem, chain: this.#chain, issuedAt: slot.issuedAt }
      : { ok: false, reason: result.reason, issuedAt: slot.issuedAt };
    this.#onIssuance(
      issued.ok
        ? { deviceId, t: slot.issuedAt, ok: true, certificatePem: issued.certificatePem }
        : { deviceId, t: slot.issuedAt, ok: false, reason: issued.reason },
    );
    return issued;
  }

  /**
   * Issues for a key the backend made for a device that asked for one (AWS IoT's CreateKeysAndCertificate), refused
   * as a CSR would be when the CA is down or must not issue to the device.
   */
  issueForRequestedKey(deviceId: string, publicKey: KeyObject, t: number): Issued {
    const slot = this.#admit(deviceId, t);
    if ('reason' in slot) return slot;
    return { ok: true, ...this.#issueAt(deviceId, publicKey, slot.issuedAt) };
  }

  /**
   * A request's turn in the issuance queue, or why it is refused (recorded): the CA down, or a device it must not
   * issue to at the time it serves the request.
   */
  #admit(deviceId: string, t: number): { issuedAt: number } | Extract<Issued, { ok: false }> {
    const down = this.#availability?.refusal(deviceId, t);
    if (down !== undefined) {
      this.#onIssuance({ deviceId, t, ok: false, reason: down });
      return { ok: false, reason: down, issuedAt: t };
    }
    const issuedAt = this.#slot(deviceId, this.#availability?.arrival(deviceId, t) ?? t);
    const refused = this.#refusal(deviceId, issuedAt);
    if (refused !== undefined) {
      this.#onIssuance({ deviceId, t: issuedAt, ok: false, reason: refused });
      return { ok: false, reason: refused, issuedAt };
    }
    return { issuedAt };
  }

  /** Issues for a key the backend made itself (server push). */
  issueForKey(deviceId: string, publicKey: KeyObject, t: number): { certificatePem: string; chain: string[]; issuedAt: number } {
    return this.#issueAt(deviceId, publicKey, this.#slot(deviceId, this.#availability?.arrival(deviceId, t, true) ?? t));
  }

  /** The device's certificate for this key, valid from the CA's clock reading at `issuedAt` (RFC 5280 4.1.2.5). */
  #issueAt(deviceId: string, publicKey: KeyObject, issuedAt: number): { certificatePem: string; chain: string[]; issuedAt: number } {
    const now = this.#clock.read(issuedAt);
    const issued = this.#authority.issue({
      subject: { CN: deviceId },
      publicKey,
      profile: 'device',
      notBefore: now - this.#backdateMs,
      notAfter: now + this.#lifetimeMs,
    });
    this.#onIssuance({ deviceId, t: issuedAt, ok: true, certificatePem: issued.pem });
    return { certificatePem: issued.pem, chain: this.#chain, issuedAt };
  }
}
