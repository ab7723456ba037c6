import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetEvent } from '../../sim/events/fleet-event.js';
import type { BrokerEvent, SessionsDropped } from '../../sim/plan/fleet-plan.js';
import { DeviceClock } from '../../sim/time/device-clock.js';
import { CertificatePool } from '../../sim/verify/certificate-pool.js';
import { dialAddress } from '../listen-address.js';
import { pkiCertificateLookup } from '../../sim/scenario-pki/pki-certificate.js';
import type { ParsedCertificate } from '../../sim/verify/types.js';
import type { BrokerConfig } from '../broker-config.js';
import type { BrokerTarget } from '../broker-target.js';
import { writeFaketimeClock } from './faketime-clock.js';
import { mosquittoAcl } from './mosquitto-acl.js';
import { mosquittoConfig, mosquittoFilesIn } from './mosquitto-config.js';
import { MosquittoProcess, type MosquittoFailure } from './mosquitto-process.js';
import { findMosquittoPrograms, type ProgramSearch } from './mosquitto-programs.js';
import { replaceFile } from './replace-file.js';
import { RevocationLists } from './revocation-lists.js';
import { ValidityBounds } from './validity-bounds.js';

export interface MosquittoOptions {
  /** The CN of the backend's client certificate: its user name, with rights on every topic. */
  backendUser: string;
  /** A device's current certificate (PEM), whose serial `revoke-devices` lists. */
  currentCertificateOf(deviceId: string): string | undefined;
  /** The certificates the devices were manufactured with (PEM): their validity bounds count. */
  deviceCertificates?: readonly string[] | undefined;
  /** Where to write Mosquitto's files; a fresh temporary folder (removed on close) when absent. */
  workDir?: string | undefined;
  /** Where to look for mosquitto and libfaketime. */
  programs?: ProgramSearch | undefined;
}

export const MOSQUITTO_CLOCK = 'libfaketime, FAKETIME_TIMESTAMP_FILE set per epoch to the broker clock reading of the last instant of the epoch before any verdict changes (frozen, whole seconds; OpenSSL 3.0 refusing at notAfter itself, an exact notAfter reads one second earlier)';

/**
 * A real Mosquitto on loopback, configured from the scenario and judging client certificates at the broker's
 * simulated clock through libfaketime. What Mosquitto 2.0.11 reloads on SIGHUP (mosquitto(8), mosquitto.conf(5),
 * and tested in test/broker/mosquitto-broker.test.ts): the acl_file, the certfile and keyfile and, because a crlfile
 * is configured, the cafile and the crlfile too, replacing what it had loaded. (Without a crlfile, 2.0.11 does not
 * re-read its cafile on SIGHUP: tested by hand.) So every TLS change is a SIGHUP, and only a `restart` event
 * restarts it.
 */
export async function startMosquittoBroker(config: BrokerConfig, options: MosquittoOptions, onEvent: (event: FleetEvent) => void): Promise<BrokerTarget> {
  if (/[\r\n]/.test(options.backendUser) || options.backendUser === '') throw new RangeError('the backend user name must be one non-empty line');
  const programs = findMosquittoPrograms(options.programs);
  const ownDir = options.workDir === undefined;
  const files = mosquittoFilesIn(options.workDir ?? mkdtempSync(join(tmpdir(), 'certfleet-mosquitto-')));
  const pool = new CertificatePool();
  const clock = new DeviceClock(config.clock.model, config.clock.start);
  const certificate = pkiCertificateLookup(config.pki, pool);
  const revocations = new RevocationLists(config.pki, pool, config.seed);
  const bounds = new ValidityBounds();
  /** Leaf certificates Mosquitto may be shown, by fingerprint: to list them when their authority is revoked. */
  const leaves = new Map<string, ParsedCertificate>();
  const addLeaf = (pem: string): ParsedCertificate | undefined => {
    const leaf = pool.parsePem(pem)[0];
    if (!leaf) return undefined;
    leaves.set(leaf.fingerprint, leaf);
    bounds.add(leaf);
    return leaf;
  };
  for (const pem of options.deviceCertificates ?? []) addLeaf(pem);
  // Every authority: anchors in the cafile and intermediates devices send are judged at the broker's clock too.
  const serverNames = new Set(Object.keys(config.serverChains));
  const authorities = Object.keys(config.pki.certificates).filter((name) => !serverNames.has(name)).map(certificate);
  for (const authority of authorities) bounds.add(authority);
  let deviceAuthorities = [...config.deviceAuthorities];
  let serverCertificate = config.initialServerCertificate;

  const writeServerChain = () => {
    const key = config.pki.serverKeys[serverCertificate];
    const chain = config.serverChains[serverCertificate];
    const leaf = config.pki.certificates[serverCertificate];
    if (key === undefined || chain === undefined || leaf === undefined) throw new RangeError(`no server certificate named "${serverCertificate}"`);
    replaceFile(files.certfile, [leaf, ...chain.map((name) => config.pki.certificates[name] ?? '')].join(''));
    replaceFile(files.keyfile, key, 0o600);
  };
  // Bootstrap identities are admitted too (Mosquitto cannot confine them to provisioning: mosquitto-acl.ts).
  const writeAuthorities = () =>
    replaceFile(files.cafile, [...new Set([...deviceAuthorities, ...config.bootstrapAuthorities])].map((name) => config.pki.certificates[name] ?? '').join(''));
  const writeRevocations = () => replaceFile(files.crlfile, revocations.pem());
  const port = config.listen.port === 0 ? await freePort(config.listen.host) : config.listen.port;
  writeServerChain();
  writeAuthorities();
  writeRevocations();
  replaceFile(files.aclfile, mosquittoAcl(options.backendUser));
  replaceFile(files.config, mosquittoConfig(files, { host: config.listen.host, port }));
  writeFaketimeClock(files.clock, bounds.openSslSecond(clock.read(config.clock.start)));

  /** Set when Mosquitto exits without being asked to: the next call fails the run with its log. */
  let failure: MosquittoFailure | undefined;
  const start = () => MosquittoProcess.start(programs, files.config, files.clock, (exit) => (failure = exit));
  let broker: MosquittoProcess | undefined = await start().catch((error: unknown) => {
    if (ownDir) rmSync(files.dir, { recursive: true, force: true });
    throw error;
  });
  const version = broker.version;
  /** While a `restart` keeps it down: the true time it comes back. */
  let upAt: number | undefined;

  const running = (): MosquittoProcess => {
    if (failure) throw failure;
    if (!broker) throw new Error('mosquitto is down (a restart event)');
    return broker;
  };
  /**
   * A CRL change: a SIGHUP re-reads the crlfile. Mosquitto checks CRLs at handshakes: no live session drops. Lists
   * are dated at the second Mosquitto's clock will read (openSslSecond): a thisUpdate after it makes OpenSSL refuse
   * every leaf of the issuer (CRL not yet valid, alert 42).
   */
  const applyRevocations = async (): Promise<SessionsDropped> => {
    writeRevocations();
    if (broker) await running().reload(dialAddress(config.listen.host), port);
    return {};
  };
  const under = (leaf: ParsedCertificate, authority: ParsedCertificate): boolean => {
    let issuers = new Set([leaf.issuer]);
    for (let depth = 0; depth < 16 && issuers.size > 0; depth += 1) {
      if (issuers.has(authority.subject)) return true;
      issuers = new Set(authorities.filter((a) => issuers.has(a.subject) && !a.selfIssued).map((a) => a.issuer));
    }
    return false;
  };

  /**
   * The sessions a revocation ends. Mosquitto checks its CRL only in new handshakes and has no way to end a client's
   * session from outside (2.0 kicks only dynamic-security clients); the embedded broker ends them at once, as AWS IoT
   * does within minutes. So the devices holding a revoked certificate end their sessions from their side at the
   * revocation's time, and their next handshake meets the CRL. The CN names the device (DeviceCa builds it).
   */
  const sessionsOf = (revoked: readonly ParsedCertificate[]): SessionsDropped => {
    const clientIds = [
      ...new Set(revoked.flatMap((c) => (c.identity.kind === 'one' && c.identity.commonName !== options.backendUser && !c.isCA ? [c.identity.commonName] : []))),
    ];
    return clientIds.length > 0 ? { clientIds } : {};
  };

  /** Every connect of an epoch is judged at one reading: the epoch ends where a verdict changes. */
  const nextVerdictChangeAfter = (after: number): number => {
    const bound = bounds.firstChangeAfter(clock.read(after));
    const change = bound === undefined ? undefined : clock.trueTimeWhenReading(bound, after, Number.MAX_SAFE_INTEGER);
    // A broker kept down by a restart comes back then: an epoch must start there too.
    const back = upAt !== undefined && upAt > after ? upAt : Infinity;
    return Math.min(change ?? Infinity, back);
  };

  return {
    host: dialAddress(config.listen.host),
    port,
    describe: () => ({ target: 'mosquitto', version, clock: MOSQUITTO_CLOCK }),
    async applyEvent(event: BrokerEvent): Promise<SessionsDropped> {
      switch (event.kind) {
        case 'server-certificate':
          // certfile and keyfile are reloaded on SIGHUP (mosquitto.conf(5)); open sessions keep their handshake.
          serverCertificate = event.use;
          writeServerChain();
          if (broker) await running().reload(dialAddress(config.listen.host), port);
          onEvent({ type: 'broker.server-certificate', t: event.at, name: event.use });
          return {};
        case 'revoke-authority': {
          const revoked = certificate(event.authority);
          // Mosquitto checks only the leaf's issuer's CRL (X509_V_FLAG_CRL_CHECK): every known leaf under the
          // authority is listed by its issuer, and the authority itself by its parent.
          // The backend's own identity is not a device's: it keeps serving (the embedded broker admits it by its exact certificate).
          const isBackend = (leaf: ParsedCertificate) => leaf.identity.kind === 'one' && leaf.identity.commonName === options.backendUser;
          const listed = [revoked, ...[...leaves.values()].filter((leaf) => under(leaf, revoked) && !isBackend(leaf))];
          revocations.revoke(listed, bounds.openSslSecond(clock.read(event.at)));
          onEvent({ type: 'broker.revocation', t: event.at, target: event.authority, certificates: 1 });
          return { ...(await applyRevocations()), ...sessionsOf(listed) };
        }
        case 'revoke-devices': {
          const listed = event.deviceIds.flatMap((id) => {
            const pem = options.currentCertificateOf(id);
            const leaf = pem === undefined ? undefined : addLeaf(pem);
            return leaf ? [leaf] : [];
          });
          revocations.revoke(listed, bounds.openSslSecond(clock.read(event.at)));
          onEvent({ type: 'broker.revocation', t: event.at, target: `${event.deviceIds.length} devices`, certificates: new Set(listed.map((c) => c.fingerprint)).size });
          return { ...(await applyRevocations()), ...sessionsOf(listed) };
        }
        case 'device-authorities': {
          const removed = new Set(event.remove);
          deviceAuthorities = [...deviceAuthorities.filter((name) => !removed.has(name)), ...event.add];
          for (const name of event.add) bounds.add(certificate(name));
          writeAuthorities();
          onEvent({ type: 'broker.device-authorities', t: event.at, authorities: deviceAuthorities.map((name) => certificate(name).label) });
          // Re-read on SIGHUP (with a crlfile configured: see above); live sessions stay, as on Aedes.
          if (broker) await running().reload(dialAddress(config.listen.host), port);
          return {};
        }
        case 'restart':
          await running().stop();
          broker = undefined;
          upAt = event.at + event.downFor;
          onEvent({ type: 'broker.restart', t: event.at, downFor: event.downFor });
          return { all: true };
        case 'fault-start': {
          const fault = config.faults.planned[event.fault];
          if (fault) onEvent({ type: 'fault.start', t: event.at, fault: fault.index, kind: fault.kind, label: fault.label });
          // A partition's sessions die with their TCP connections; Mosquitto notices by keepalive, the devices at once.
          return event.clientIds ? { clientIds: [...event.clientIds] } : {};
        }
        case 'fault-end': {
          const fault = config.faults.planned[event.fault];
          if (fault) onEvent({ type: 'fault.end', t: event.at, fault: fault.index, kind: fault.kind });
          return {};
        }
      }
    },
    async setEpoch(from: number, to: number) {
      if (failure) throw failure;
      // One reading judges every connect of the epoch. No known bound lies inside it (the coordinator ends epochs at
      // nextVerdictChangeAfter), so any reading in it gives the verdict of `from` on those; the latest one is also on
      // the right side of the notBefore of a certificate the CA issues during the epoch (backdated at most to its
      // issuance), which a device may present before the epoch ends.
      const last = Math.max(from, Math.min(to, nextVerdictChangeAfter(from)) - 1);
      writeFaketimeClock(files.clock, bounds.openSslSecond(clock.read(last)));
      if (!broker && upAt !== undefined && from >= upAt) {
        broker = await start();
        upAt = undefined;
      }
    },
    nextVerdictChangeAfter,
    certificateIssued(certificatePem: string) {
      addLeaf(certificatePem);
    },
    async close() {
      await broker?.stop();
      broker = undefined;
      if (ownDir) rmSync(files.dir, { recursive: true, force: true });
    },
  };
}

/** A port the kernel has just handed out on `host` (Mosquitto's listener needs a number in its configuration). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

