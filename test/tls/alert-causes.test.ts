import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCause } from '../../sim/causes.js';
import { ALERT_CAUSES, CONNACK_CAUSES, causeFromConnack, causeFromTlsAlert, receivedTlsAlert, refusesIdentity } from '../../sim/tls/alert-causes.js';

const doc = readFileSync(new URL('../../docs/real-broker-causes.md', import.meta.url), 'utf8');

describe('reading a TLS alert from the error Node reports', () => {
  it('takes the alert number from OpenSSL\'s message, for the codes of every protocol version', () => {
    const message = (n: number) => `error:0A000415:SSL routines:ssl3_read_bytes:sslv3 alert certificate expired:rec_layer_s3.c:1605:SSL alert number ${n}`;
    expect(receivedTlsAlert({ code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', message: message(45) })).toBe(45);
    expect(receivedTlsAlert({ code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', message: message(48) })).toBe(48);
    expect(receivedTlsAlert({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: message(116) })).toBe(116);
  });

  it('falls back to the name in the code when the message carries no number', () => {
    expect(receivedTlsAlert({ code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', message: 'alert' })).toBe(44);
  });

  it('finds no alert in a reset, a refused connect, or the device\'s own failed verification', () => {
    expect(receivedTlsAlert({ code: 'ECONNRESET', message: 'read ECONNRESET' })).toBeUndefined();
    expect(receivedTlsAlert({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })).toBeUndefined();
    expect(receivedTlsAlert({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' })).toBeUndefined();
    expect(receivedTlsAlert({ message: 'SSL alert number 45' })).toBeUndefined();
  });
});

describe('the causes alerts and CONNACK codes reveal', () => {
  it('are causes of the closed enum, each alert and code once', () => {
    for (const m of [...ALERT_CAUSES, ...CONNACK_CAUSES]) expect(isCause(m.cause), m.cause).toBe(true);
    expect(new Set(ALERT_CAUSES.map((m) => m.alert)).size).toBe(ALERT_CAUSES.length);
    expect(new Set(CONNACK_CAUSES.map((m) => m.returnCode)).size).toBe(CONNACK_CAUSES.length);
  });

  it('mark an alert outside the table as a failed handshake, still naming the alert', () => {
    expect(causeFromTlsAlert(80)).toEqual({ cause: 'tls_handshake_failed', inferredFrom: 'tls-alert:80 internal_error' });
    expect(causeFromTlsAlert(45)).toEqual({ cause: 'expired_leaf', inferredFrom: 'tls-alert:45 certificate_expired' });
    expect(causeFromConnack(1)).toEqual({ cause: 'connection_refused', inferredFrom: 'connack:1' });
  });

  it('refuse the device\'s identity, except a broker that is unavailable or a handshake with nothing in common', () => {
    const refusing = ALERT_CAUSES.map((m) => causeFromTlsAlert(m.alert)).concat(CONNACK_CAUSES.map((m) => causeFromConnack(m.returnCode)));
    expect(refusing.filter((inferred) => !refusesIdentity(inferred)).map((inferred) => inferred.inferredFrom)).toEqual([
      'tls-alert:40 handshake_failure',
      'connack:3',
    ]);
    expect(refusesIdentity(causeFromTlsAlert(80))).toBe(false);
  });

  it('are the rows of docs/real-broker-causes.md', () => {
    for (const m of ALERT_CAUSES) expect(doc).toContain(`| ${m.alert} | ${m.name} | \`${m.cause}\` |`);
    for (const m of CONNACK_CAUSES) expect(doc).toContain(`| ${m.returnCode} | ${m.meaning} | \`${m.cause}\` |`);
  });
});
