import type { ParsedCertificate } from '../../sim/verify/types.js';

/**
 * The validity bounds of the certificates Mosquitto judges, and the time_t its OpenSSL must read so that it judges
 * them as RFC 5280 4.1.2.5 (and sim/verify, and so the embedded broker) does at a broker clock reading.
 *
 * RFC 5280 makes both bounds inclusive. OpenSSL 3.0 (Debian 12's libssl3 3.0.x, which Mosquitto 2.0.11 uses)
 * compares whole seconds and refuses a certificate when notAfter <= now (x509_vfy.c check_cert_time, X509_cmp_time
 * returns -1 for equal times): at notAfter exactly it says certificate_expired, which
 * test/broker/mosquitto-broker.test.ts shows. Its notBefore check is inclusive, as RFC 5280's.
 */
export class ValidityBounds {
  readonly #seen = new Set<string>();
  readonly #notBefore = new Set<number>();
  readonly #notAfter = new Set<number>();
  #sorted: number[] | undefined = [];

  add(certificate: ParsedCertificate): void {
    if (this.#seen.has(certificate.fingerprint)) return;
    this.#seen.add(certificate.fingerprint);
    this.#notBefore.add(certificate.notBefore);
    this.#notAfter.add(certificate.notAfter);
    this.#sorted = undefined;
  }

  /**
   * The readings at which an RFC 5280 verdict changes: valid from notBefore, expired from just after notAfter
   * (1 ms later: the bounds are whole seconds, readings are ms). The first one strictly after `reading`.
   */
  firstChangeAfter(reading: number): number | undefined {
    this.#sorted ??= [...new Set([...this.#notBefore, ...[...this.#notAfter].map((t) => t + 1)])].sort((a, b) => a - b);
    const sorted = this.#sorted;
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((sorted[middle] ?? Infinity) <= reading) low = middle + 1;
      else high = middle;
    }
    return sorted[low];
  }

  /**
   * The whole second OpenSSL must read to judge as RFC 5280 at `reading` (ms): the second it falls in, or the one
   * before when `reading` is exactly a notAfter, where RFC 5280 still accepts and OpenSSL 3.0 would not. When the
   * same instant is also a notBefore (one certificate ends as another begins) no second judges both as RFC 5280
   * does; the one starting wins, as on the second that follows.
   */
  openSslSecond(reading: number): number {
    const second = Math.floor(reading / 1000) * 1000;
    if (second === reading && this.#notAfter.has(reading) && !this.#notBefore.has(reading)) return second - 1000;
    return second;
  }
}
