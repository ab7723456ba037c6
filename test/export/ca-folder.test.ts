import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaFolder, writeCaFolder, CaFolderError } from '../../sim/export/ca-folder.js';
import { UserInputError } from '../../sim/input/user-input-error.js';
import { buildScenarioPki, type ScenarioPki } from '../../sim/scenario-pki/build-scenario-pki.js';
import { opensslVerify } from '../support/openssl-ca.js';
import { editedText } from '../support/scenario-file.js';
import { TINY_SCENARIO, tinyScenario } from '../support/tiny-scenario.js';

const scenario = tinyScenario();
let pki: ScenarioPki;
let dir: string;
const copies: string[] = [];

beforeAll(async () => {
  pki = buildScenarioPki(scenario, 7);
  dir = mkdtempSync(join(tmpdir(), 'certfleet-ca-'));
  await writeCaFolder(dir, pki, { scenario: scenario.name, seed: 7 });
});

afterAll(() => {
  for (const folder of [dir, ...copies]) if (folder) rmSync(folder, { recursive: true, force: true });
});

/** A copy of the CA folder to damage, with `change` applied to it. */
async function damagedCopy(change: (ca: string) => void): Promise<string> {
  const copy = mkdtempSync(join(tmpdir(), 'certfleet-ca-damaged-'));
  copies.push(copy);
  await writeCaFolder(copy, pki, { scenario: scenario.name, seed: 7 });
  change(join(copy, 'ca'));
  return copy;
}

async function refusal(folder: string, at = scenario): Promise<CaFolderError> {
  try {
    await readCaFolder(folder, at);
  } catch (error) {
    if (error instanceof CaFolderError) return error;
    throw error;
  }
  throw new Error('the CA folder was accepted');
}

describe('a CA folder', () => {
  it('reads back, from DIR or DIR/ca, as the run\'s certificates and keys', async () => {
    for (const folder of [dir, join(dir, 'ca')]) {
      const read = await readCaFolder(folder, scenario);
      expect(read.certificates).toEqual(pki.certificates);
      expect(read.authorityKeys).toEqual(pki.authorityKeys);
      expect(read.serverKeys).toEqual(pki.serverKeys);
      expect(read.standIns).toEqual(pki.standIns);
    }
  });

  it('gives new certificates serial numbers of a stream of their own, since its keys outlive the run that made them', async () => {
    const read = await readCaFolder(dir, scenario, { serialScope: 'second-start' });
    expect(read.serialScopes?.['device-ca']).toBe('ca-folder/second-start');
    expect(read.serialScopes?.['device-ca']).not.toBe(pki.serialScopes?.['device-ca']);
  });

  it('holds PEM files openssl uses as they are, and keys only their owner reads', () => {
    const ca = join(dir, 'ca');
    const root = readFileSync(join(ca, 'authorities/device-root.cert.pem'), 'utf8');
    expect(opensslVerify(root, readFileSync(join(ca, 'authorities/device-ca.cert.pem'), 'utf8'))).toMatchObject({ status: 0 });
    expect(opensslVerify(root, readFileSync(join(ca, 'authorities/server-ca.cert.pem'), 'utf8')).status).not.toBe(0);
    expect(statSync(join(ca, 'authorities/device-ca.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(ca, 'servers/broker.key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(ca, 'README.md'), 'utf8')).toContain('openssl x509 -in authorities/<name>.cert.pem');
  });

  it('is refused for a scenario that describes other authorities, naming the file, the field and what was expected', async () => {
    const other = tinyScenario(
      editedText(
        TINY_SCENARIO,
        ['name: tiny', 'name: other'],
        ['subject: { CN: Test Device CA }', 'subject: { CN: Other Device CA }'],
        ['    - name: other-root', '    - name: second-root'],
        ['trustStore: { anchors: [server-root, other-root] }', 'trustStore: { anchors: [server-root, second-root] }'],
        ['issuer: other-root', 'issuer: second-root'],
      ),
    );
    const error = await refusal(dir, other);
    expect(error).toBeInstanceOf(UserInputError);
    expect(error.file).toBe(join(dir, 'ca', 'pki.json'));
    expect(error.problems).toEqual([
      'authorities: no authority "second-root", which the scenario describes (the folder was made for scenario "tiny", this is "other")',
      'authorities.other-root: the scenario describes no authority "other-root"',
      'authorities.device-ca.certificate: authorities/device-ca.cert.pem has subject CN "Test Device CA", the scenario says "Other Device CA"',
    ]);
  });

  it('is refused for a scenario whose server certificate has other dates or host names', async () => {
    const other = tinyScenario(editedText(TINY_SCENARIO, ['notAfter: 2031-01-01T00:00:00Z', 'notAfter: 2032-01-01T00:00:00Z'], ['      chain: [server-ca]\n', '      chain: [server-ca]\n      hosts: [broker.example]\n']));
    expect((await refusal(dir, other)).problems).toEqual([
      'serverCertificates.broker.certificate: servers/broker.cert.pem is valid 2029-01-01T00:00:00Z to 2031-01-01T00:00:00Z, the scenario says 2029-01-01T00:00:00Z to 2032-01-01T00:00:00Z',
      'serverCertificates.broker.certificate: servers/broker.cert.pem names 127.0.0.1, localhost, the scenario says broker.example',
    ]);
  });

  it('is refused when pki.json is damaged: not JSON, or a field of the wrong kind', async () => {
    const truncated = await damagedCopy((ca) => writeFileSync(join(ca, 'pki.json'), readFileSync(join(ca, 'pki.json'), 'utf8').slice(0, 200)));
    expect((await refusal(truncated)).message).toMatch(new RegExp(`^${join(truncated, 'ca', 'pki.json')}: not JSON \\(.*\\): expected the pki.json certfleet wrote$`));
    const wrongKind = await damagedCopy((ca) => {
      const json = JSON.parse(readFileSync(join(ca, 'pki.json'), 'utf8')) as { seed: unknown; authorities: Record<string, { sha256: string }> };
      json.seed = 'seven';
      (json.authorities['device-ca'] as { sha256: string }).sha256 = 'abc';
      writeFileSync(join(ca, 'pki.json'), JSON.stringify(json));
    });
    expect((await refusal(wrongKind)).problems).toEqual(['seed: Invalid input: expected number, received string', 'authorities.device-ca.sha256: expected 64 lower-case hex digits']);
  });

  it('is refused when a certificate was replaced, a key is missing or one points outside the folder', async () => {
    const damaged = await damagedCopy((ca) => {
      copyFileSync(join(ca, 'authorities/other-root.cert.pem'), join(ca, 'authorities/server-root.cert.pem'));
      rmSync(join(ca, 'servers/broker.key.pem'));
      const json = JSON.parse(readFileSync(join(ca, 'pki.json'), 'utf8')) as { authorities: Record<string, { key?: string }> };
      (json.authorities['device-root'] as { key?: string }).key = '../../../etc/passwd';
      writeFileSync(join(ca, 'pki.json'), JSON.stringify(json));
    });
    expect((await refusal(damaged)).problems).toEqual([
      'authorities.server-root.certificate: authorities/server-root.cert.pem is not the certificate pki.json records (its SHA-256 differs): the folder was changed',
      'authorities.device-root.key: "../../../etc/passwd" is outside the CA folder: expected a path inside it',
      'serverCertificates.broker.key: servers/broker.key.pem: no such file',
    ]);
  });

  it('is refused when the folder does not exist or holds no pki.json', async () => {
    const missing = join(dir, 'nope');
    expect((await refusal(missing)).message).toBe(`${missing}: no such folder: expected a CA folder written by \`certfleet broker --export DIR\` (DIR or DIR/ca)`);
    expect((await refusal(join(dir, 'ca', 'authorities'))).message).toMatch(/no pki\.json in .*authorities\/ca or .*authorities: expected a CA folder/);
  });
});
