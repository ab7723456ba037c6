import type { Cause } from '../causes.js';

/**
 * What a device can learn of a broker's refusal from the wire, as a real device would: a TLS alert (RFC 8446 6.2,
 * RFC 5246 7.2) or a CONNACK return code (MQTT 3.1.1 3.2.2.3), each read as the broker-side cause it reveals. The
 * cause is an inference, so it travels with `inferredFrom` ("tls-alert:45 certificate_expired", "connack:5"): an
 * alert names a class of failures, never the certificate that failed. docs/real-broker-causes.md has the table with
 * the OpenSSL verify errors behind every alert.
 */
export interface InferredCause {
  cause: Cause;
  /** What the device saw: `tls-alert:<number> <name>` or `connack:<return code>`. */
  inferredFrom: string;
}

export interface AlertMapping {
  alert: number;
  /** The AlertDescription name (RFC 8446 6.2). */
  name: string;
  cause: Cause;
  /**
   * What OpenSSL 3 sends it for when it judges a client certificate (ssl_verify_alarm_type in
   * ssl/statem/statem_lib.c, and tls_process_client_certificate), i.e. what the alert can mean from Mosquitto.
   */
  openssl: string;
}

/** Alerts a broker sends when it refuses a client (RFC 8446 6.2), each with the cause it reveals. */
export const ALERT_CAUSES: readonly AlertMapping[] = [
  {
    alert: 40,
    name: 'handshake_failure',
    cause: 'tls_handshake_failed',
    openssl:
      'TLS 1.2: a client that sent no certificate to a server that requires one (TLS 1.3 sends certificate_required); no shared version, cipher or group; a verify callback\'s refusal (X509_V_ERR_APPLICATION_VERIFICATION)',
  },
  {
    alert: 42,
    name: 'bad_certificate',
    cause: 'not_yet_valid',
    openssl:
      'X509_V_ERR_CERT_NOT_YET_VALID and CRL_NOT_YET_VALID; also malformed validity fields, a key or digest below the security level (EE_KEY_TOO_SMALL, CA_KEY_TOO_SMALL, CA_MD_TOO_WEAK), CERT_UNTRUSTED and CERT_REJECTED (trust settings)',
  },
  {
    alert: 43,
    name: 'unsupported_certificate',
    cause: 'wrong_purpose',
    openssl: 'X509_V_ERR_INVALID_PURPOSE: the certificate\'s extKeyUsage does not allow clientAuth',
  },
  {
    alert: 44,
    name: 'certificate_revoked',
    cause: 'revoked',
    openssl: 'X509_V_ERR_CERT_REVOKED: the leaf or a CA on the path is on a CRL the server checks',
  },
  {
    alert: 45,
    name: 'certificate_expired',
    cause: 'expired_leaf',
    openssl:
      'X509_V_ERR_CERT_HAS_EXPIRED for the leaf and for an intermediate alike (the alert cannot say which), and X509_V_ERR_CRL_HAS_EXPIRED (the server\'s CRL is past its nextUpdate)',
  },
  {
    alert: 46,
    name: 'certificate_unknown',
    cause: 'certificate_refused',
    openssl:
      'every verify error without an alert of its own: an unhandled critical extension, keyUsage without keyCertSign on a CA, a name or policy constraint',
  },
  {
    alert: 48,
    name: 'unknown_ca',
    cause: 'untrusted_root',
    openssl:
      'no path to the server\'s CA file (UNABLE_TO_GET_ISSUER_CERT[_LOCALLY], UNABLE_TO_VERIFY_LEAF_SIGNATURE, a self-signed certificate), INVALID_CA, a path too long; also UNABLE_TO_GET_CRL when the server checks CRLs and has none for an issuer',
  },
  {
    alert: 51,
    name: 'decrypt_error',
    cause: 'bad_signature',
    openssl:
      'X509_V_ERR_CERT_SIGNATURE_FAILURE and CRL_SIGNATURE_FAILURE; also a CertificateVerify that the certificate\'s key does not verify',
  },
  {
    alert: 116,
    name: 'certificate_required',
    cause: 'client_cert_missing',
    openssl: 'TLS 1.3: the client sent no certificate to a server that requires one (RFC 8446 4.4.2.4)',
  },
];

/** Names of the other alerts a device may see (RFC 8446 6.2); they reveal nothing about its certificate. */
const OTHER_ALERTS: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  47: 'illegal_parameter',
  49: 'access_denied',
  50: 'decode_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  120: 'no_application_protocol',
};

const BY_ALERT = new Map(ALERT_CAUSES.map((m) => [m.alert, m]));

/** The cause a received fatal alert reveals; an alert outside the table is a failed handshake, still marked as seen. */
export function causeFromTlsAlert(alert: number): InferredCause {
  const mapping = BY_ALERT.get(alert);
  const name = mapping?.name ?? OTHER_ALERTS[alert] ?? 'unknown';
  return { cause: mapping?.cause ?? 'tls_handshake_failed', inferredFrom: `tls-alert:${alert} ${name}` };
}

/** CONNACK return codes a broker refuses with (MQTT 3.1.1 3.2.2.3), each with the cause it reveals. */
export const CONNACK_CAUSES: readonly { returnCode: number; meaning: string; cause: Cause; note: string }[] = [
  {
    returnCode: 2,
    meaning: 'identifier rejected',
    cause: 'client_id_mismatch',
    note: 'the broker does not allow this client id; a device connects with the identity its certificate names',
  },
  {
    returnCode: 3,
    meaning: 'server unavailable',
    cause: 'broker_unavailable',
    note: 'the broker is up but not serving MQTT; brokers that limit connect rates with MQTT 3.1.1 answer 3 too (rate_limited cannot be told apart)',
  },
  {
    returnCode: 4,
    meaning: 'bad user name or password',
    cause: 'ambiguous_identity',
    note: 'Mosquitto with use_identity_as_username answers 4 when it takes no user name from the certificate (no subject CN)',
  },
  {
    returnCode: 5,
    meaning: 'not authorized',
    cause: 'connection_refused',
    note: 'the broker does not admit this identity and says no more: an ACL, a plugin, a registry; only its own logs hold why',
  },
];

const BY_RETURN_CODE = new Map(CONNACK_CAUSES.map((m) => [m.returnCode, m]));

/** The cause a refusing CONNACK reveals; codes outside the table (1, or none MQTT 3.1.1 defines) stay a refusal. */
export function causeFromConnack(returnCode: number): InferredCause {
  return { cause: BY_RETURN_CODE.get(returnCode)?.cause ?? 'connection_refused', inferredFrom: `connack:${returnCode}` };
}

/**
 * Whether an inferred cause says the broker refused the device's identity (its certificate, or who it names), as
 * CONNACK 5 from the embedded broker does: a device re-enrols or gives up on those. A broker that is unavailable
 * (CONNACK 3) or a handshake that found nothing in common refused no identity.
 */
export function refusesIdentity(inferred: InferredCause): boolean {
  return inferred.cause !== 'broker_unavailable' && inferred.cause !== 'tls_handshake_failed';
}

const ALERT_NUMBER = /SSL alert number (\d+)/;
const ALERT_CODE = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/;
const BY_NAME = new Map<string, number>([
  ...ALERT_CAUSES.map((m) => [m.name, m.alert] as const),
  ...Object.entries(OTHER_ALERTS).map(([alert, name]) => [name, Number(alert)] as const),
]);

/**
 * The alert the peer sent, from the error Node reports for it: OpenSSL's message ends in "SSL alert number 45" and
 * Node's code names it (ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED, ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED).
 * Undefined for any other error (a reset, a local verification failure): no alert was received.
 */
export function receivedTlsAlert(error: { code?: string | undefined; message: string }): number | undefined {
  const code = error.code === undefined ? undefined : ALERT_CODE.exec(error.code)?.[1];
  if (code === undefined) return undefined;
  const number = ALERT_NUMBER.exec(error.message)?.[1];
  return number === undefined ? BY_NAME.get(code.toLowerCase()) : Number(number);
}
