import { createPrivateKey } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { readBoundedFile, UnreadableFileError } from '../input/read-bounded-file.js';
import { toPem } from '../pki/index.js';
import { loadPemBundle, PemBundleError } from '../trust/pem-bundle.js';
import type { ScenarioProblem } from './check-references.js';
import type { Scenario } from './schema.js';

/** A private key is a few KiB even for RSA-8192; anything larger is not one. */
const MAX_KEY_BYTES = 64 * 1024;

type ExternalBroker = NonNullable<Scenario['broker']['external']>;

/** The PEM text of an external broker's files, read for a run. */
export interface ExternalBrokerFiles {
  /** The authorities that signed the broker's server certificate. */
  caPem: string;
  /** The backend's certificate (and chain) and key. */
  backend: { certificatePem: string; keyPem: string };
}

/** Makes the external broker's paths absolute (relative to the scenario's folder), so any thread finds them. */
export function resolveExternalBrokerPaths(scenario: Scenario, baseDir: string): void {
  const external = scenario.broker.external;
  if (!external) return;
  const absolute = (file: string) => (isAbsolute(file) ? file : resolve(baseDir, file));
  external.caFile = absolute(external.caFile);
  external.backend.certificateFile = absolute(external.backend.certificateFile);
  external.backend.keyFile = absolute(external.backend.keyFile);
}

/**
 * Checks the files of broker.external (after resolveExternalBrokerPaths): each readable within its bound, the CA
 * file and the backend certificate PEM certificates, the key a PEM private key.
 */
export function checkExternalBrokerFiles(external: ExternalBroker): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const path = ['broker', 'external'];
  const certificates = (at: (string | number)[], file: string, what: string) => {
    try {
      loadPemBundle(file);
    } catch (error) {
      if (!(error instanceof PemBundleError)) throw error;
      problems.push({ path: at, message: `expected ${what}: ${error.message}` });
    }
  };
  certificates([...path, 'caFile'], external.caFile, 'a PEM file of CA certificates');
  certificates([...path, 'backend', 'certificateFile'], external.backend.certificateFile, 'a PEM certificate');
  try {
    readPrivateKey(external.backend.keyFile);
  } catch (error) {
    problems.push({ path: [...path, 'backend', 'keyFile'], message: `expected a PEM private key: ${external.backend.keyFile}: ${(error as Error).message}` });
  }
  return problems;
}

/** Reads the external broker's files for a run; throws what checkExternalBrokerFiles would have reported. */
export function readExternalBrokerFiles(external: ExternalBroker): ExternalBrokerFiles {
  const pem = (file: string) => loadPemBundle(file).certificates.map((c) => toPem(c.der, 'CERTIFICATE')).join('');
  return {
    caPem: pem(external.caFile),
    backend: { certificatePem: pem(external.backend.certificateFile), keyPem: readPrivateKey(external.backend.keyFile) },
  };
}

function readPrivateKey(file: string): string {
  let text: string;
  try {
    text = readBoundedFile(file, MAX_KEY_BYTES).toString('utf8');
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new Error(error.reason);
    throw error;
  }
  try {
    createPrivateKey(text);
  } catch {
    throw new Error('not a private key in PEM (-----BEGIN PRIVATE KEY-----, EC or RSA)');
  }
  return text;
}
