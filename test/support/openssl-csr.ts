/**
 * CSRs made by the openssl CLI, as a device or an attacker would make them: any subject (several CNs, O/OU,
 * multi-valued RDNs), any extension request (`-addext`), any key openssl can generate (RSA-1024, other curves).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `openssl genpkey` arguments per key kind. */
const KEYS = {
  'ec-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ec-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'ec-p224': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-224'],
  'ec-secp256k1': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  'rsa-1024': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  'rsa-2048-e3': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_pubexp:3'],
  ed25519: ['-algorithm', 'ED25519'],
} as const;

export type OpensslKey = keyof typeof KEYS;

export interface OpensslCsrOptions {
  /** An openssl `-subj` string, e.g. `/CN=dev-b/CN=dev-a` or `/CN=a+CN=b` (a multi-valued RDN). */
  subject: string;
  key?: OpensslKey | undefined;
  /** `-addext` values, e.g. `basicConstraints=critical,CA:TRUE`. */
  addext?: readonly string[] | undefined;
}

function run(args: string[]): string {
  const result = spawnSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A DER PKCS#10 CSR from `openssl req -new`, and its private key (PEM). */
export function opensslCsr(options: OpensslCsrOptions): { der: Buffer; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-csr-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const csrPath = join(dir, 'req.der');
    run(['genpkey', ...KEYS[options.key ?? 'ec-p256'], '-out', keyPath]);
    const multi = options.subject.includes('+') ? ['-multivalue-rdn'] : [];
    const extensions = (options.addext ?? []).flatMap((ext) => ['-addext', ext]);
    run(['req', '-new', '-key', keyPath, '-subj', options.subject, ...multi, ...extensions, '-outform', 'DER', '-out', csrPath]);
    return { der: readFileSync(csrPath), keyPem: readFileSync(keyPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What `openssl x509 -noout -subject -ext <names>` prints for a PEM certificate (extension names comma-separated). */
export function opensslCertificateText(certificatePem: string, extensions: string): string {
  const result = spawnSync('openssl', ['x509', '-noout', '-subject', '-ext', extensions, '-nameopt', 'RFC2253'], {
    input: certificatePem,
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`openssl x509 failed: ${result.stderr}`);
  return result.stdout;
}

/**
 * What `opensslCertificateText(pem, 'basicConstraints,keyUsage,extendedKeyUsage,subjectAltName')` prints for a device
 * certificate the CA issued to `cn` with the device profile only: no SAN, no CA rights, client authentication alone.
 */
export function deviceProfileText(cn: string): string {
  return [
    `subject=CN=${cn}`,
    'X509v3 Basic Constraints: critical',
    '    CA:FALSE',
    'X509v3 Key Usage: critical',
    '    Digital Signature',
    'X509v3 Extended Key Usage: ',
    '    TLS Web Client Authentication',
    '',
  ].join('\n');
}
