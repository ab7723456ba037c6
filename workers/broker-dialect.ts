/**
 * What a device's connect does differently for each broker target. The embedded broker reads the true time a device
 * claims in its CONNECT user name and keeps the precise cause of every refusal in its own record
 * (`broker.admission`); a real broker (Mosquitto, or an external one) reads no claim and keeps no record the run can
 * join, so the device reads its CONNACK refusals as the causes they reveal (sim/tls/alert-causes.ts). TLS alerts are
 * read the same way from either: the embedded broker sends none for a certificate.
 */
export interface BrokerDialect {
  /** Send `certfleet-t=<ISO time>` as the CONNECT user name (sim/device-api/messages.ts `simTimeUsername`). */
  claimsTime: boolean;
  /**
   * `broker-record`: a refusing CONNACK is `connection_refused`, the broker's own record holds why (the embedded
   * broker; its per-cause counts stay as they are). `inferred`: a refusing CONNACK is the cause its return code
   * reveals, marked `inferredFrom: connack:<code>`.
   */
  connackCauses: 'broker-record' | 'inferred';
}

export const EMBEDDED_BROKER_DIALECT: BrokerDialect = { claimsTime: true, connackCauses: 'broker-record' };

/** Mosquitto or an external broker: no time claim (a real broker would take it for a user name), causes inferred. */
export const REAL_BROKER_DIALECT: BrokerDialect = { claimsTime: false, connackCauses: 'inferred' };
