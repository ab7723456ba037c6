import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative } from 'node:path';
import { z } from 'zod';
import { readBoundedFile, UnreadableFileError } from '../input/read-bounded-file.js';
import { UserInputError } from '../input/user-input-error.js';
import { pemToDer } from '../pki/pem.js';
import type { ScenarioPki } from '../scenario-pki/build-scenario-pki.js';
import type { Scenario } from '../scenario/schema.js';
import { checkCaAgainstScenario, mirroredStandIns, type CaMaterial } from './ca-folder-check.js';

/** pki.json's format: a reader refuses any other. */
export const CA_FOLDER_FORMAT = 'certfleet-ca/1';
const MAX_PKI_JSON_BYTES = 1024 * 1024;
const MAX_PEM_BYTES = 256 * 1024;

const entry = z.strictObject({
  /** PEM file, relative to the folder. */
  certificate: z.string().min(1),
  /** SHA-256 of the certificate's DER, lower-case hex: a certificate file that was changed is refused. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { message: 'expected 64 lower-case hex digits' }),
  /** PKCS#8 PEM file, relative to the folder; absent for an authority without a key of its own. */
  key: z.string().min(1).optional(),
});
const pkiJson = z.strictObject({
  format: z.literal(CA_FOLDER_FORMAT),
  scenario: z.string(),
  seed: z.number(),
  authorities: z.record(z.string(), entry),
  serverCertificates: z.record(z.string(), entry.required({ key: true })),
  standIns: z.record(z.string(), z.strictObject({ bundle: z.string(), replaces: z.string() })),
  serialScopes: z.record(z.string(), z.string()).optional(),
});
type PkiJson = z.infer<typeof pkiJson>;

/** A CA folder that cannot be used for the scenario: names pki.json (or the folder) and every problem. */
export class CaFolderError extends UserInputError {
  constructor(file: string, problems: readonly string[]) {
    super(file, problems);
    this.name = 'CaFolderError';
  }
}

/**
 * Writes the run's PKI to DIR/ca/: pki.json (what each file is), each certificate as authorities/<name>.cert.pem or
 * servers/<name>.cert.pem and each key beside it as <name>.key.pem (PKCS#8, mode 0600), for `--ca` to reuse and
 * for a human to use with openssl (`openssl x509 -in authorities/<name>.cert.pem -noout -text`).
 */
export async function writeCaFolder(dir: string, pki: ScenarioPki, about: { scenario: string; seed: number }): Promise<void> {
  const folder = join(dir, 'ca');
  await mkdir(join(folder, 'authorities'), { recursive: true });
  await mkdir(join(folder, 'servers'), { recursive: true });
  const write = async (file: string, text: string, mode: number) => {
    await writeFile(join(folder, file), text, { mode });
    await chmod(join(folder, file), mode);
  };
  const described = async (kind: 'authorities' | 'servers', name: string, keyPem: string | undefined) => {
    const pem = pki.certificates[name];
    if (pem === undefined) throw new RangeError(`the PKI has no certificate "${name}"`);
    const certificate = `${kind}/${name}.cert.pem`;
    await write(certificate, pem, 0o644);
    const key = keyPem === undefined ? undefined : `${kind}/${name}.key.pem`;
    if (key !== undefined && keyPem !== undefined) await write(key, keyPem, 0o600);
    return { certificate, sha256: sha256(pem), ...(key === undefined ? {} : { key }) };
  };
  const serverNames = new Set(Object.keys(pki.serverKeys));
  const authorities: PkiJson['authorities'] = {};
  for (const name of Object.keys(pki.certificates).filter((n) => !serverNames.has(n))) {
    authorities[name] = await described('authorities', name, pki.authorityKeys[name]);
  }
  const serverCertificates: PkiJson['serverCertificates'] = {};
  for (const name of serverNames) {
    serverCertificates[name] = (await described('servers', name, pki.serverKeys[name])) as PkiJson['serverCertificates'][string];
  }
  const json: PkiJson = {
    format: CA_FOLDER_FORMAT,
    scenario: about.scenario,
    seed: about.seed,
    authorities,
    serverCertificates,
    standIns: pki.standIns,
    ...(pki.serialScopes === undefined ? {} : { serialScopes: pki.serialScopes }),
  };
  await write('pki.json', `${JSON.stringify(json, null, 2)}\n`, 0o644);
  await write('README.md', caReadme(about.scenario), 0o644);
}

function caReadme(scenario: string): string {
  return `# The CA of scenario "${scenario}"

Every authority and server certificate of the scenario as PEM (\`authorities/<name>.cert.pem\`,
\`servers/<name>.cert.pem\`), each private key beside its certificate (\`<name>.key.pem\`, PKCS#8, mode 0600; a
cross-sign has none, it carries its target's key), and \`pki.json\`, which lists them with their SHA-256.

Start the broker again with this CA, and the credentials exported under it stay valid: \`--ca <this folder>\`
(or the export folder holding it). A folder whose files were changed, or that describes other authorities than
the scenario, is refused.

    openssl x509 -in authorities/<name>.cert.pem -noout -text
    openssl verify -CAfile authorities/<root>.cert.pem -untrusted authorities/<intermediate>.cert.pem <certificate>
`;
}

/**
 * Reads a CA folder written by writeCaFolder (DIR, or DIR/ca) back as the scenario's PKI, after checking that it
 * is whole and describes this scenario's authorities and server certificates; refuses it with a CaFolderError
 * naming the file, the field and what was expected otherwise. The keys outlive the run that made them, so new
 * certificates take their serial numbers from a stream of their own (`serialScope`, default the timeline's start),
 * not the one the first run used (RFC 5280 4.1.2.2: unique per CA).
 */
export async function readCaFolder(dir: string, scenario: Scenario, options: { serialScope?: string } = {}): Promise<ScenarioPki> {
  const folder = locate(dir);
  const file = join(folder, 'pki.json');
  const described = parsePkiJson(file);
  const problems: string[] = [];
  const material = (section: 'authorities' | 'serverCertificates', name: string, value: z.infer<typeof entry>): CaMaterial => {
    const field = `${section}.${name}`;
    const certificatePem = readPem(folder, value.certificate, `${field}.certificate`, problems);
    if (certificatePem !== undefined && sha256(certificatePem) !== value.sha256) {
      problems.push(`${field}.certificate: ${value.certificate} is not the certificate pki.json records (its SHA-256 differs): the folder was changed`);
    }
    const keyPem = value.key === undefined ? undefined : readPem(folder, value.key, `${field}.key`, problems);
    return { name, file: value.certificate, certificatePem, keyPem };
  };
  const authorities = Object.entries(described.authorities).map(([name, value]) => material('authorities', name, value));
  const servers = Object.entries(described.serverCertificates).map(([name, value]) => material('serverCertificates', name, value));
  if (problems.length === 0) problems.push(...checkCaAgainstScenario(scenario, authorities, servers));
  if (problems.length > 0) {
    const made = described.scenario === scenario.name ? '' : ` (the folder was made for scenario "${described.scenario}", this is "${scenario.name}")`;
    throw new CaFolderError(file, problems.map((p, i) => (i === 0 ? `${p}${made}` : p)));
  }
  const pki: ScenarioPki = { certificates: {}, serverKeys: {}, authorityKeys: {}, standIns: mirroredStandIns(scenario), serialScopes: {} };
  const scope = `ca-folder/${options.serialScope ?? new Date(scenario.timeline.start).toISOString()}`;
  for (const { name, certificatePem, keyPem } of authorities) {
    pki.certificates[name] = certificatePem ?? '';
    if (keyPem !== undefined) {
      pki.authorityKeys[name] = keyPem;
      (pki.serialScopes as Record<string, string>)[name] = scope;
    }
  }
  for (const { name, certificatePem, keyPem } of servers) {
    pki.certificates[name] = certificatePem ?? '';
    pki.serverKeys[name] = keyPem ?? '';
  }
  return pki;
}

/** DIR/ca when it holds pki.json, else DIR itself; a CaFolderError when neither does. */
function locate(dir: string): string {
  const holds = (folder: string) => {
    try {
      return statSync(join(folder, 'pki.json')).isFile();
    } catch {
      return false;
    }
  };
  if (holds(join(dir, 'ca'))) return join(dir, 'ca');
  if (holds(dir)) return dir;
  let exists = true;
  try {
    statSync(dir);
  } catch {
    exists = false;
  }
  throw new CaFolderError(dir, [
    exists
      ? `no pki.json in ${join(dir, 'ca')} or ${dir}: expected a CA folder written by \`certfleet broker --export DIR\` (DIR or DIR/ca)`
      : `no such folder: expected a CA folder written by \`certfleet broker --export DIR\` (DIR or DIR/ca)`,
  ]);
}

function parsePkiJson(file: string): PkiJson {
  let text: string;
  try {
    text = readBoundedFile(file, MAX_PKI_JSON_BYTES).toString('utf8');
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new CaFolderError(file, [error.reason]);
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CaFolderError(file, [`not JSON (${(error as Error).message}): expected the pki.json certfleet wrote`]);
  }
  const parsed = pkiJson.safeParse(value);
  if (!parsed.success) {
    throw new CaFolderError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/** A PEM file named by pki.json: inside the folder, readable, within its bound; undefined with a problem if not. */
function readPem(folder: string, file: string, field: string, problems: string[]): string | undefined {
  const inside = !isAbsolute(file) && !normalize(file).startsWith('..') && !relative(folder, join(folder, file)).startsWith('..');
  if (!inside) {
    problems.push(`${field}: "${file}" is outside the CA folder: expected a path inside it`);
    return undefined;
  }
  try {
    const text = readBoundedFile(join(folder, file), MAX_PEM_BYTES).toString('latin1');
    if (pemToDer(text).length === 0) throw new Error('no PEM block in it');
    return text;
  } catch (error) {
    const reason = error instanceof UnreadableFileError ? error.reason : (error as Error).message;
    problems.push(`${field}: ${file}: ${reason}`);
    return undefined;
  }
}

function sha256(pem: string): string {
  return createHash('sha256').update(pemToDer(pem)[0] ?? Buffer.alloc(0)).digest('hex');
}
