import { existsSync } from 'node:fs';
import { loadPemBundle, PemBundleError, type PemBundle } from '../trust/pem-bundle.js';
import type { ScenarioProblem } from './check-references.js';
import type { Scenario } from './schema.js';

/**
 * Checks the PEM bundles a scenario names (device trust stores, stand-ins): that each holds certificates, and that
 * each stand-in names exactly one certificate of its bundle that no other stand-in takes. Runs after
 * `resolveScenarioPaths`, on absolute paths; a file that does not exist is reported there, not again here.
 */
export function checkBundles(scenario: Scenario): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const open = (path: (string | number)[], file: string): PemBundle | undefined => {
    if (!existsSync(file)) return undefined;
    try {
      return loadPemBundle(file);
    } catch (error) {
      if (!(error instanceof PemBundleError)) throw error;
      problems.push({ path, message: `expected a PEM bundle of certificates: ${error.message}` });
      return undefined;
    }
  };

  scenario.fleet.cohorts.forEach((cohort, i) => {
    if (cohort.trustStore.bundle !== undefined) open(['fleet', 'cohorts', i, 'trustStore', 'bundle'], cohort.trustStore.bundle);
  });
  /** Real certificate fingerprint -> the authority that stands in for it. */
  const taken = new Map<string, string>();
  scenario.pki.authorities.forEach((authority, i) => {
    const mirrors = authority.mirrors;
    if (mirrors === undefined) return;
    const path = ['pki', 'authorities', i, 'mirrors'];
    const bundle = open([...path, 'bundle'], mirrors.bundle);
    if (!bundle) return;
    const found = bundle.named(mirrors.subjectCN);
    const [real] = found;
    if (real === undefined) {
      problems.push({ path: [...path, 'subjectCN'], message: `expected the CN of a certificate in ${bundle.path}, got "${mirrors.subjectCN}"` });
    } else if (found.length > 1) {
      problems.push({
        path: [...path, 'subjectCN'],
        message: `expected a CN that names one certificate in ${bundle.path}, got "${mirrors.subjectCN}" (${found.length} certificates have it)`,
      });
    } else {
      const other = taken.get(real.certificate.fingerprint);
      if (other !== undefined) {
        problems.push({ path: [...path, 'subjectCN'], message: `expected a certificate no other stand-in mirrors, got the one "${other}" mirrors` });
      }
      taken.set(real.certificate.fingerprint, authority.name);
    }
  });
  return problems;
}
