/**
 * A device written against AWS's documentation, with AWS's own device SDK (aws-iot-device-sdk-v2 over aws-crt): an
 * MQTT 3.1.1 connection built by `AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path` from a certificate
 * file, a key file and a CA file, as AWS's fleet-provisioning sample builds it, pointed at certfleet's broker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';

export interface SdkEndpoint {
  /** A name the broker's server certificate carries: the SDK checks it (and the chain, at the host clock). */
  host: string;
  port: number;
  /** The CA file's content, PEM. */
  caPem: string;
}

/** A credentials folder as a device keeps one: cert.pem, key.pem and the CA file, removed by `remove`. */
export function credentialFiles(files: { cert: string; key: string; ca: string }): { certPath: string; keyPath: string; caPath: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-aws-sdk-'));
  const paths = { certPath: join(dir, 'cert.pem'), keyPath: join(dir, 'key.pem'), caPath: join(dir, 'AmazonRootCA1.pem') };
  writeFileSync(paths.certPath, files.cert);
  writeFileSync(paths.keyPath, files.key, { mode: 0o600 });
  writeFileSync(paths.caPath, files.ca);
  return { ...paths, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The files a device keeps: its certificate (or chain), its key and the CA file it trusts the broker with. */
export interface SdkFiles {
  certPath: string;
  keyPath: string;
  caPath: string;
}

/**
 * Connects with the SDK (clean session, no reconnects left running: `disconnect` frees the native connection, so
 * the test process can exit). Rejects with the SDK's error when the broker refuses the certificate or the CONNECT.
 */
export async function connectWithSdk(endpoint: SdkEndpoint, clientId: string, identity: { cert: string; key: string }): Promise<mqtt.MqttClientConnection> {
  const files = credentialFiles({ ...identity, ca: endpoint.caPem });
  try {
    return await connectWithSdkFiles(endpoint, clientId, files);
  } finally {
    files.remove();
  }
}

/** As `connectWithSdk`, from files already on disk (an export folder's), as AWS's samples take them. */
export async function connectWithSdkFiles(endpoint: { host: string; port: number }, clientId: string, files: SdkFiles): Promise<mqtt.MqttClientConnection> {
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(files.certPath, files.keyPath)
    .with_certificate_authority_from_path(undefined, files.caPath)
    .with_endpoint(endpoint.host)
    .with_port(endpoint.port)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_timeout_ms(10_000)
    .build();
  const connection = new mqtt.MqttClient().new_connection(config);
  try {
    await connection.connect();
  } catch (error) {
    await connection.disconnect().catch(() => undefined);
    throw error;
  }
  return connection;
}
