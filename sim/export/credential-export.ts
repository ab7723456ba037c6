import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { FactoryCredentials } from '../scenario-pki/device-factory.js';
import { CertificatePool } from '../verify/certificate-pool.js';
import { devicesReadme } from './credentials-readme.js';
import { deviceCommandsScript } from './device-commands.js';
import { pkcs12Der } from './pkcs12.js';

/** Where a client reaches the broker, and the broker's clock file (libfaketime's FAKETIME_TIMESTAMP_FILE). */
export interface BrokerAddress {
  host: string;
  port: number;
  /** The name the broker's server certificate is for (scenario broker.host). */
  serverName: string;
  clockFile: string;
}

export interface DeviceToExport {
  id: string;
  cohort: string;
  credentials: FactoryCredentials;
  /** The anchors the device's cohort trusts for the broker's server chain (cohortAnchorsPem). */
  anchorsPem: readonly string[];
  /** The name this device checks the server certificate for, when its cohort's is not the broker's (connectivity.host). */
  serverName?: string | undefined;
}

/** A certificate's identity and validity, as devices/index.json lists it. */
export interface ExportedCertificate {
  /** serialNumber, lower-case hex. */
  serial: string;
  notBefore: string;
  notAfter: string;
}

export interface ExportedDevice extends ExportedCertificate {
  id: string;
  cohort: string;
  /** The MQTT client id to connect with: the certificate's CN. */
  clientId: string;
  /** The device's folder, relative to the export folder. */
  folder: string;
  bootstrap?: ExportedCertificate | undefined;
}

/** The password of every device.p12 (stated in devices/README.md): the files are test credentials. */
export const PKCS12_PASSWORD = 'certfleet';

const PRIVATE = 0o600;
const PUBLIC = 0o644;

/**
 * Writes DIR/devices/<id>/ for every device (key, leaf, chain and full chain in PEM, the same as PKCS#12, the
 * cohort's anchors, bootstrap credentials where the scenario has them, commands.sh), devices/index.json and
 * devices/README.md. Keys and PKCS#12 files are readable by their owner only.
 */
export async function exportDeviceCredentials(dir: string, devices: readonly DeviceToExport[], broker: BrokerAddress): Promise<ExportedDevice[]> {
  const pool = new CertificatePool();
  const root = join(dir, 'devices');
  await mkdir(root, { recursive: true });
  const exported: ExportedDevice[] = [];
  const folders = new Set<string>();
  for (const device of devices) {
    const name = uniqueFolderName(device.id, folders);
    const folder = join(root, name);
    await mkdir(folder, { recursive: true });
    const leaf = pool.parsePem(device.credentials.certificatePem)[0];
    if (!leaf) throw new RangeError(`device ${device.id} has no certificate to export`);
    // The broker admits a client whose id is its certificate's CN; a cloned identity's CN is another device's id.
    const clientId = leaf.identity.kind === 'one' ? leaf.identity.commonName : device.id;
    await writeIdentity(folder, device.credentials, clientId);
    await writeText(join(folder, 'anchors.pem'), device.anchorsPem.join(''), PUBLIC);
    let bootstrap: ExportedCertificate | undefined;
    if (device.credentials.bootstrap !== undefined) {
      const bootstrapFolder = join(folder, 'bootstrap');
      await mkdir(bootstrapFolder, { recursive: true });
      await writeIdentity(bootstrapFolder, device.credentials.bootstrap, clientId);
      bootstrap = describe(pool.parsePem(device.credentials.bootstrap.certificatePem)[0]);
    }
    const clockFile = relativeOrAbsolute(folder, resolve(broker.clockFile));
    const script = deviceCommandsScript({
      id: device.id,
      clientId,
      cohort: device.cohort,
      host: broker.host,
      port: broker.port,
      serverName: device.serverName ?? broker.serverName,
      clockFile,
      hasChain: device.credentials.chainPems.length > 0,
    });
    await writeText(join(folder, 'commands.sh'), script, 0o755);
    exported.push({ id: device.id, cohort: device.cohort, clientId, folder: `devices/${name}`, ...describe(leaf), bootstrap });
  }
  await writeText(join(root, 'index.json'), `${JSON.stringify({ devices: exported }, null, 2)}\n`, PUBLIC);
  await writeText(join(root, 'README.md'), devicesReadme({ password: PKCS12_PASSWORD, broker }), PUBLIC);
  return exported;
}

/** key.pem, cert.pem, chain.pem, fullchain.pem and device.p12 of one identity. */
async function writeIdentity(folder: string, credentials: Omit<FactoryCredentials, 'bootstrap'>, friendlyName: string): Promise<void> {
  const chain = credentials.chainPems.join('');
  await writeText(join(folder, 'key.pem'), credentials.keyPem, PRIVATE);
  await writeText(join(folder, 'cert.pem'), credentials.certificatePem, PUBLIC);
  await writeText(join(folder, 'chain.pem'), chain, PUBLIC);
  await writeText(join(folder, 'fullchain.pem'), credentials.certificatePem + chain, PUBLIC);
  const p12 = pkcs12Der({ ...credentials, password: PKCS12_PASSWORD, friendlyName });
  await writeFile(join(folder, 'device.p12'), p12, { mode: PRIVATE });
  await chmod(join(folder, 'device.p12'), PRIVATE);
}

/** Writes the file and sets its mode (writeFile's mode applies only to a file it creates). */
async function writeText(path: string, text: string, mode: number): Promise<void> {
  await writeFile(path, text, { mode });
  await chmod(path, mode);
}

function describe(certificate: { serialHex: string; notBefore: number; notAfter: number } | undefined): ExportedCertificate {
  if (!certificate) throw new RangeError('expected a PEM certificate');
  return { serial: certificate.serialHex, notBefore: new Date(certificate.notBefore).toISOString(), notAfter: new Date(certificate.notAfter).toISOString() };
}

/** A folder name from a device id: kept when it is a plain file name, else escaped; never the same name twice. */
function uniqueFolderName(id: string, taken: Set<string>): string {
  const plain = /^[A-Za-z0-9._-]+$/.test(id) && id !== '.' && id !== '..';
  const base = plain ? id : encodeURIComponent(id).replace(/[%*'()!~]/g, '_');
  let name = base;
  for (let n = 2; taken.has(name); n += 1) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

/** The clock file relative to the device folder when it lies inside the export folder's tree, else absolute. */
function relativeOrAbsolute(from: string, file: string): string {
  const path = relative(resolve(from), file);
  return path.startsWith('../../../') ? file : path;
}
