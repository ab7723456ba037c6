/**
 * The closed set of outcomes that devices, the broker, the CA and the reports share.
 *
 * Every failure anywhere in certfleet is recorded with exactly one of these values, together with who judged it
 * (`Judge`). Reports group by them; nothing invents a free-form cause string.
 */
export const CAUSES = {
  // --- chain verdicts (RFC 5280 section 6 path validation at a given clock) ---
  ok: 'the chain is valid at the judge\'s clock',
  untrusted_root: 'no path from the certificate to any anchor in the judge\'s trust store',
  expired_leaf: 'the end-entity certificate is past its notAfter',
  expired_intermediate: 'an intermediate or cross-signed CA certificate on the path is past its notAfter',
  expired_root: 'the trust anchor is past its notAfter (only where the policy enforces anchor expiry)',
  expired_on_chosen_path:
    'the path the judge built has an expired certificate although another valid path to a trusted anchor existed',
  not_yet_valid: 'a certificate on the path is before its notBefore',
  not_yet_valid_clock_behind:
    'a certificate looks not yet valid only because the judge\'s clock is behind true time by more than the gap',
  expired_clock_ahead:
    'a certificate looks expired only because the judge\'s clock is ahead of true time by more than the gap',
  revoked: 'a certificate on the path is on its issuer\'s revocation list',
  hostname_mismatch: 'the server certificate does not name the broker host the device expects, the name it sent in SNI (RFC 6125)',
  bad_signature: 'a certificate names its issuer but the issuer\'s key did not sign it',
  wrong_purpose: 'basicConstraints, keyUsage or extKeyUsage do not allow this use (RFC 5280 4.2.1.3, 4.2.1.9, 4.2.1.12)',
  pin_mismatch: 'the device pins a certificate that is not in the chain the server presented',
  // --- a device's trust store over time ---
  root_distrusted:
    'the chain ends at a root a trust-store update removed although it has not expired (a distrust, like DigiCert G1 in 2026)',
  // --- broker admission and authorisation ---
  client_cert_missing: 'the device sent no certificate in the TLS handshake',
  certificate_refused:
    'a real broker refused the device certificate with a TLS alert that names no precise reason (certificate_unknown, 46): a verify error the broker\'s TLS library has no alert for',
  client_id_mismatch: 'the MQTT client id differs from the certificate common name',
  ambiguous_identity:
    'the certificate subject names no single device: several CNs, or a CN that is empty or not a UTF8String/PrintableString',
  certificate_inactive:
    'the backend knows the certificate but it is not active: issued and never registered, or deactivated after a rotation',
  topic_denied: 'a device published or subscribed outside its own topics',
  rate_limited: 'the broker refused the CONNECT because a connect rate limit was reached (CONNACK 3; MQTT 5 has 0x9F)',
  broker_unavailable: 'the broker was down (restarting) when the device tried to connect (CONNACK 3)',
  time_claim_outside_epoch:
    'the client claimed a true time (in its CONNECT user name or a request\'s t) outside the epoch the broker is in, or one it cannot read (CONNACK 5, or a refusal on the reply topic)',
  malformed_request:
    'a device sent the backend a request whose body breaks the device/backend contract; refused unserved (AWS IoT: 400 InvalidPayload)',
  // --- transport ---
  broker_unreachable: 'the TCP connection to the broker was refused or reset',
  tls_handshake_failed: 'the TLS handshake itself failed (no certificate was judged)',
  connect_timeout: 'no TLS handshake or CONNACK within the harness timeout (the harness, not a certificate, failed)',
  connection_refused: 'the broker answered CONNACK with a refusal; the broker\'s own record holds the precise cause',
  // --- rotation workflow ---
  rotation_timeout:
    'no answer could come to a rotation request: the device had no session, its inbox subscription was refused, the broker ended the session first, or the reply was lost (an injected fault)',
  rotation_rejected:
    'the CA refused the CSR (bad signature, subject not the device identity or naming several, a weak key); its issuance record holds why',
  ca_unavailable: 'the CA answered 503 ServiceUnavailable: it was down (an injected fault); the device backs off and retries',
  ownership_token_expired:
    'fleet provisioning: the certificate ownership token expired before RegisterThing redeemed it (AWS: 1 hour); the certificate is never activated',
  commit_rejected: 'the backend refused a job\'s SUCCEEDED (its commit): the device is not connected with the new certificate',
  locked_out: 'the device certificate expired before it was renewed and the device has no way to recover',
} as const;

export type Cause = keyof typeof CAUSES;

export const ALL_CAUSES = Object.keys(CAUSES) as Cause[];

/** Who reached a verdict: the device judging the broker, the broker judging a device, or the CA judging a CSR. */
export type Judge = 'device' | 'broker' | 'ca';

export function isCause(value: string): value is Cause {
  return Object.hasOwn(CAUSES, value);
}
