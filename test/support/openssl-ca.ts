/**
 * Authorities made by the openssl CLI, as a team makes its own CA (`openssl req -x509 -newkey ec ...`), written to a
 * folder for a scenario to import (pki.authorities[].files), and `openssl verify` of what certfleet issues under them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslCaOptions {
  /** An openssl `-subj` string, e.g. `/CN=Team Device CA/O=Example`. */
  subject: string;
  /** `-addext` values; default a CA: `basicConstraints=critical,CA:TRUE` and `keyUsage=critical,keyCertSign,cRLSign`. */
  addext?: readonly string[] | undefined;
  days?: number | undefined;
}

function openssl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A self-signed EC P-256 certificate and its key, written as `<name>.crt` and `<name>.key` in `dir`. */
export function opensslCa(dir: string, name: string, options: OpensslCaOptions): { certificateFile: string; keyFile: string } {
  const certificateFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const addext = options.addext ?? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  const made = openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certificateFile, '-days', String(options.days ?? 3650), '-subj', options.subject,
    ...addext.flatMap((ext) => ['-addext', ext]),
  ]);
  if (made.status !== 0) throw new Error(`openssl req -x509 failed: ${made.stderr}`);
  return { certificateFile, keyFile };
}

/**
 * `openssl verify -CAfile <ca> [-untrusted <chain>] <leaf>` on PEM text: its output (`<file>: OK` when the chain
 * verifies) and exit status. `-partial_chain` is not given: the CA file must hold the root the path ends at.
 */
export function opensslVerify(caPem: string, leafPem: string, options: { untrusted?: string; purpose?: 'sslclient' | 'sslserver' } = {}): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-verify-'));
  try {
    const ca = join(dir, 'ca.pem');
    const leaf = join(dir, 'leaf.pem');
    writeFileSync(ca, caPem);
    writeFileSync(leaf, leafPem);
    const untrusted = options.untrusted === undefined ? [] : ['-untrusted', join(dir, 'untrusted.pem')];
    if (options.untrusted !== undefined) writeFileSync(join(dir, 'untrusted.pem'), options.untrusted);
    const purpose = options.purpose === undefined ? [] : ['-purpose', options.purpose];
    const result = openssl(['verify', '-CAfile', ca, ...untrusted, ...purpose, leaf]);
    return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An EC P-256 leaf signed by `ca` with openssl (`openssl req -new` then `openssl x509 -req`), as a team issues its
 * broker's or a service's certificate; `extensions` are x509v3 lines (`subjectAltName=DNS:localhost`, ...).
 */
export function opensslLeaf(
  dir: string,
  name: string,
  ca: { certificateFile: string; keyFile: string },
  options: { subject: string; extensions: readonly string[]; days?: number },
): { certificateFile: string; keyFile: string } {
  const certificateFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const csrFile = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, `${options.extensions.join('\n')}\n`);
  const request = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', options.subject]);
  if (request.status !== 0) throw new Error(`openssl req -new failed: ${request.stderr}`);
  const signed = openssl([
    'x509', '-req', '-in', csrFile, '-CA', ca.certificateFile, '-CAkey', ca.keyFile, '-CAcreateserial',
    '-out', certificateFile, '-days', String(options.days ?? 30), '-extfile', extFile,
  ]);
  if (signed.status !== 0) throw new Error(`openssl x509 -req failed: ${signed.stderr}`);
  return { certificateFile, keyFile };
}
