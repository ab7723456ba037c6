import { userInfo } from 'node:os';
import { join } from 'node:path';

/** The files certfleet writes for one Mosquitto, all in its work folder. */
export interface MosquittoFiles {
  dir: string;
  config: string;
  /** The accepted device authorities (OpenSSL's trust anchors for client certificates). */
  cafile: string;
  /** The server certificate followed by the chain it is served with. */
  certfile: string;
  keyfile: string;
  crlfile: string;
  aclfile: string;
  /** libfaketime's FAKETIME_TIMESTAMP_FILE: the broker's clock reading. */
  clock: string;
  log: string;
}

export function mosquittoFilesIn(dir: string): MosquittoFiles {
  return {
    dir,
    config: join(dir, 'mosquitto.conf'),
    cafile: join(dir, 'device-authorities.pem'),
    certfile: join(dir, 'server-chain.pem'),
    keyfile: join(dir, 'server-key.pem'),
    crlfile: join(dir, 'revocations.crl.pem'),
    aclfile: join(dir, 'acl'),
    clock: join(dir, 'faketime-timestamp'),
    log: join(dir, 'mosquitto.log'),
  };
}

/**
 * mosquitto.conf (mosquitto.conf(5), 2.0.11): one mutual-TLS listener on loopback, the client certificate's CN as
 * the user name, nothing anonymous, nothing persisted (each run starts empty, as the embedded broker does).
 */
export function mosquittoConfig(files: MosquittoFiles, listen: { host: string; port: number }): string {
  return [
    '# Written by certfleet for one run; rewritten files are reloaded on SIGHUP or by a restart (broker/mosquitto/).',
    'per_listener_settings false',
    'allow_anonymous false',
    'persistence false',
    `acl_file ${files.aclfile}`,
    // Run as whoever runs certfleet: the files are in its private work folder, which the default `mosquitto` user
    // (taken when started as root) could not read. The listener is on loopback only.
    `user ${userInfo().username}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    'log_timestamp true',
    `listener ${listen.port} ${listen.host}`,
    `cafile ${files.cafile}`,
    `certfile ${files.certfile}`,
    `keyfile ${files.keyfile}`,
    `crlfile ${files.crlfile}`,
    'require_certificate true',
    'use_identity_as_username true',
    '',
  ].join('\n');
}
