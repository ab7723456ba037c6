/**
 * A device learns a real broker's refusal as a real device would: from the TLS alert OpenSSL sends (during the
 * handshake with TLS 1.2; after the client's handshake completed, while it waits for CONNACK, with TLS 1.3). The
 * broker here is `openssl s_server` judging client certificates at T0; the device dials it with its own `dialBroker`.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnessStalledError } from '../../sim/harness/harness-stalled-error.js';
import { CertificateAuthority, generateKeyPair, toPem } from '../../sim/pki/index.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import { verifyChainAt } from '../../sim/verify/verify-chain.js';
import { dialBroker, type DialOutcome } from '../../workers/broker-session.js';
import { startOpensslServer, type OpensslServer } from '../support/openssl-server.js';
import { DAY } from '../support/time.js';
import { keyPem, localhostServer } from '../support/localhost-server.js';

const T0 = Date.UTC(2030, 0, 1);


interface Pki {
  root: CertificateAuthority;
  server: { certificatePem: string; keyPem: string };
  /** A client key and certificate chain (leaf first) for each case. */
  clients: Record<'expiredLeaf' | 'expiredIntermediate' | 'notYetValid' | 'unknownCa' | 'revoked' | 'serverOnly' | 'forged' | 'valid', SecureContext>;
  crlPem: string;
}

/** A root, a device intermediate under it, and device certificates valid, expired, not yet valid, revoked at T0. */
function buildPki(): Pki {
  const rootKeys = generateKeyPair();
  const root = CertificateAuthority.selfSigned({ subject: { CN: 'Refusals Root' }, keyPair: rootKeys, notBefore: T0 - 365 * DAY, notAfter: T0 + 365 * DAY, pathLength: 1 });
  const intermediateKeys = generateKeyPair();
  const intermediate = (notBefore: number, notAfter: number) => {
    const issued = root.issue({ subject: { CN: 'Refusals Devices' }, publicKey: intermediateKeys.publicKey, profile: 'intermediate-ca', notBefore, notAfter, pathLength: 0 });
    return { ca: new CertificateAuthority({ certificateDer: issued.der, privateKey: intermediateKeys.privateKey }), pem: issued.pem };
  };
  const current = intermediate(T0 - 30 * DAY, T0 + 30 * DAY);
  const lapsed = intermediate(T0 - 30 * DAY, T0 - DAY);
  const strangerKeys = generateKeyPair();
  const stranger = CertificateAuthority.selfSigned({ subject: { CN: 'Stranger Root' }, keyPair: strangerKeys, notBefore: T0 - DAY, notAfter: T0 + DAY });
  const device = (issuer: { ca: CertificateAuthority; pem: string }, notBefore: number, notAfter: number, profile: 'device' | 'server' = 'device') => {
    const keys = generateKeyPair();
    const issued = issuer.ca.issue({ subject: { CN: 'device-1' }, publicKey: keys.publicKey, profile, notBefore, notAfter });
    return { context: createSecureContext({ key: keyPem(keys), cert: issued.pem + issuer.pem }), serialHex: issued.serialHex };
  };
  const revoked = device(current, T0 - DAY, T0 + DAY);
  // Names the current intermediate as its issuer (subject and key identifier) but is signed by another key.
  const forger = new CertificateAuthority({ certificateDer: current.ca.certificateDer, privateKey: generateKeyPair().privateKey });
  const crl = current.ca.createCrl({ thisUpdate: T0 - DAY, nextUpdate: T0 + DAY, revoked: [{ serialHex: revoked.serialHex, revokedAt: T0 - 60_000 }] });
  return {
    root,
    server: localhostServer(root, T0 - DAY, T0 + DAY),
    clients: {
      valid: device(current, T0 - DAY, T0 + DAY).context,
      expiredLeaf: device(current, T0 - 10 * DAY, T0 - DAY).context,
      // The leaf is within its dates; the intermediate that issued it lapsed a day before T0.
      expiredIntermediate: device(lapsed, T0 - 10 * DAY, T0 + DAY).context,
      notYetValid: device(current, T0 + DAY, T0 + 10 * DAY).context,
      unknownCa: device({ ca: stranger, pem: '' }, T0 - DAY, T0 + DAY).context,
      revoked: revoked.context,
      // extKeyUsage serverAuth only: no clientAuth.
      serverOnly: device(current, T0 - DAY, T0 + DAY, 'server').context,
      forged: device({ ca: forger, pem: current.pem }, T0 - DAY, T0 + DAY).context,
    },
    crlPem: toPem(crl, 'X509 CRL'),
  };
}

const pki = buildPki();
const pool = new CertificatePool();
const anchor = pool.parsePem(pki.root.certificatePem)[0] as ParsedCertificate;

/** The device's own dial, trusting the test root and checking `localhost` at T0. */
function dial(server: OpensslServer, secureContext: SecureContext, timeoutMs = 10_000): Promise<DialOutcome> {
  return dialBroker({
    address: server.host,
    port: server.port,
    serverName: 'localhost',
    secureContext,
    clientId: 'device-1',
    inbox: 'devices/device-1/#',
    t: T0,
    pool,
    judge: ([leaf, ...presented]) => {
      if (!leaf) throw new Error('the server sent no certificate');
      return verifyChainAt({
        leaf,
        presented,
        anchors: [anchor],
        at: T0,
        trueTime: T0,
        policy: { pathBuilding: 'trusted-first', anchorExpiry: 'enforce' },
        purpose: 'serverAuth',
        hostname: 'localhost',
        pool,
      });
    },
    timeoutMs,
  });
}

function refusal(outcome: DialOutcome): { cause: string; inferredFrom: string | undefined; judgedServer: boolean } {
  if (outcome.ok) throw new Error('the server admitted the device');
  // judgedServer: the device's handshake completed and it judged the server's chain before the refusal came.
  return { cause: outcome.cause, inferredFrom: outcome.inferredFrom, judgedServer: outcome.verdict?.cause === 'ok' };
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  // TLS 1.2: the server's verdict on the client certificate ends the handshake. TLS 1.3: the client's handshake is
  // complete first (RFC 8446 4.4.2.4), so the alert comes while the device waits for CONNACK.
  const afterHandshake = version === 'TLSv1.3';

  describe(`a refusal by an OpenSSL broker over ${version}`, () => {
    let server: OpensslServer;
    let withCrl: OpensslServer;

    beforeAll(async () => {
      const common = { ...pki.server, clientCaPem: pki.root.certificatePem, attime: T0, version };
      server = await startOpensslServer(common);
      withCrl = await startOpensslServer({ ...common, crlPem: pki.crlPem });
    });

    afterAll(async () => {
      await Promise.all([server?.close(), withCrl?.close()]);
    });

    it('an expired device certificate is expired_leaf, inferred from alert 45', async () => {
      expect(refusal(await dial(server, pki.clients.expiredLeaf))).toEqual({
        cause: 'expired_leaf',
        inferredFrom: 'tls-alert:45 certificate_expired',
        judgedServer: afterHandshake,
      });
    });

    it('an expired intermediate is also read as expired_leaf: alert 45 cannot say which certificate lapsed', async () => {
      expect(refusal(await dial(server, pki.clients.expiredIntermediate))).toEqual({
        cause: 'expired_leaf',
        inferredFrom: 'tls-alert:45 certificate_expired',
        judgedServer: afterHandshake,
      });
    });

    it('a certificate before its notBefore is not_yet_valid, inferred from alert 42', async () => {
      expect(refusal(await dial(server, pki.clients.notYetValid))).toEqual({
        cause: 'not_yet_valid',
        inferredFrom: 'tls-alert:42 bad_certificate',
        judgedServer: afterHandshake,
      });
    });

    it('a certificate from an authority the broker does not trust is untrusted_root, inferred from alert 48', async () => {
      expect(refusal(await dial(server, pki.clients.unknownCa))).toEqual({
        cause: 'untrusted_root',
        inferredFrom: 'tls-alert:48 unknown_ca',
        judgedServer: afterHandshake,
      });
    });

    it('a certificate on the broker\'s CRL is revoked, inferred from alert 44', async () => {
      expect(refusal(await dial(withCrl, pki.clients.revoked))).toEqual({
        cause: 'revoked',
        inferredFrom: 'tls-alert:44 certificate_revoked',
        judgedServer: afterHandshake,
      });
    });

    it('a certificate whose extKeyUsage does not allow clientAuth is wrong_purpose, inferred from alert 43', async () => {
      expect(refusal(await dial(server, pki.clients.serverOnly))).toEqual({
        cause: 'wrong_purpose',
        inferredFrom: 'tls-alert:43 unsupported_certificate',
        judgedServer: afterHandshake,
      });
    });

    it('a certificate its issuer\'s key did not sign is bad_signature, inferred from alert 51', async () => {
      expect(refusal(await dial(server, pki.clients.forged))).toEqual({
        cause: 'bad_signature',
        inferredFrom: 'tls-alert:51 decrypt_error',
        judgedServer: afterHandshake,
      });
    });

    it('no client certificate is read from the alert this version sends for it', async () => {
      const expected =
        version === 'TLSv1.3'
          ? { cause: 'client_cert_missing', inferredFrom: 'tls-alert:116 certificate_required' }
          : // TLS 1.2 has no certificate_required; OpenSSL sends handshake_failure, which says no more than that.
            { cause: 'tls_handshake_failed', inferredFrom: 'tls-alert:40 handshake_failure' };
      expect(refusal(await dial(server, createSecureContext({})))).toEqual({ ...expected, judgedServer: afterHandshake });
    });

    it('a valid certificate draws no alert: the device waits for a CONNACK this server never sends', async () => {
      const outcome = dial(withCrl, pki.clients.valid, 1_000);
      await expect(outcome).rejects.toBeInstanceOf(HarnessStalledError);
    });
  });
}
