import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JudgedRunSummary } from '../../sim/thresholds/evaluate-thresholds.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';
import { ROOT, runCli } from '../support/cli.js';



interface JunitCase {
  classname: string;
  name: string;
  failure?: { message: string };
}

interface JunitSuite {
  name: string;
  tests: string;
  failures: string;
  testcase: JunitCase[];
}

function readJunit(dir: string): JunitSuite[] {
  const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    isArray: (name) => name === 'testsuite' || name === 'testcase',
  });
  return (parser.parse(xml) as { testsuites: { testsuite: JunitSuite[] } }).testsuites.testsuite;
}

const SCENARIO_THRESHOLDS = 'thresholds: ["lockedOut == 0", "availability.min >= 100%", "failures[expired_root] == 0"]\n';

describe('certfleet run with thresholds, through the built command line', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-thresholds-'));
  const scenario = join(work, 'tiny.yaml');
  let failing: ReturnType<typeof runCli>;
  let passing: ReturnType<typeof runCli>;

  beforeAll(() => {
    writeFileSync(scenario, `${TINY_SCENARIO}${SCENARIO_THRESHOLDS}`);
    const common = ['run', scenario, '--devices', '8', '--workers', '1', '--quiet'];
    failing = runCli([...common, '--out', join(work, 'failing'), '--threshold', 'rotations.succeeded > 1000000']);
    passing = runCli([...common, '--out', join(work, 'passing'), '--threshold', 'rotations.succeeded > 0', '--threshold', 'rotation.latency.p99 < 30s']);
  }, 240_000);

  it('exits 3 when a threshold fails on a completed run', () => {
    expect(failing.status, failing.stderr).toBe(3);
  });

  it('prints PASS or FAIL for every threshold, with the measured value', () => {
    expect(failing.stderr).toContain('PASS lockedOut == 0 (actual 0)\n');
    expect(failing.stderr).toContain('PASS availability.min >= 100% (actual 100%)\n');
    expect(failing.stderr).toContain('PASS failures[expired_root] == 0 (actual 0)\n');
    expect(failing.stderr).toMatch(/^FAIL rotations\.succeeded > 1000000 \(actual \d+\)$/m);
    expect(failing.stderr).toContain('certfleet: 1 of 4 thresholds failed\n');
  });

  it('writes the verdicts to summary.json, the scenario\'s thresholds first', () => {
    const summary = JSON.parse(readFileSync(join(work, 'failing', 'summary.json'), 'utf8')) as JudgedRunSummary;
    expect(summary.complete).toBe(true);
    expect(summary.thresholdsPassed).toBe(false);
    expect(summary.thresholds.map((t) => [t.check, t.passed])).toEqual([
      ['lockedOut == 0', true],
      ['availability.min >= 100%', true],
      ['failures[expired_root] == 0', true],
      ['rotations.succeeded > 1000000', false],
    ]);
    expect(summary.thresholds[3]).toMatchObject({ metric: 'rotations.succeeded', op: '>', expected: 1_000_000, actual: summary.rotations.succeeded });
  });

  it('writes a Thresholds table to summary.md', () => {
    const markdown = readFileSync(join(work, 'failing', 'summary.md'), 'utf8');
    expect(markdown).toContain('## Thresholds');
    expect(markdown).toMatch(/^\| FAIL \| `rotations\.succeeded > 1000000` \| all \| \d+ \|$/m);
  });

  it('writes junit.xml that parses as one JUnit test suite with a failure for the failed threshold', () => {
    const suites = readJunit(join(work, 'failing'));
    expect(suites).toHaveLength(1);
    const [suite] = suites;
    expect(suite).toMatchObject({ name: 'certfleet tiny', tests: '4', failures: '1' });
    expect(suite?.testcase.map((c) => c.classname)).toEqual(['thresholds', 'thresholds', 'thresholds', 'thresholds']);
    expect(suite?.testcase.filter((c) => c.failure).map((c) => c.name)).toEqual(['rotations.succeeded > 1000000']);
    expect(suite?.testcase[3]?.failure?.message).toMatch(/^expected rotations\.succeeded > 1000000, actual \d+$/);
  });

  it('exits 0 when every threshold passes, and says so', () => {
    expect(passing.status, passing.stderr).toBe(0);
    expect(passing.stderr).toContain('certfleet: 5 thresholds passed\n');
    expect(passing.stdout).toContain(join(work, 'passing', 'junit.xml'));
    const [suite] = readJunit(join(work, 'passing'));
    expect(suite).toMatchObject({ tests: '5', failures: '0' });
  });
});

describe('bad thresholds on the command line and in a scenario', () => {
  it('refuses a --threshold that does not parse with exit code 2, before running anything', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'certfleet-thresholds-bad-')), 'run');
    const result = runCli(['run', join(ROOT, 'scenarios/daa-24h.yaml'), '--out', out, '--threshold', 'lockedOut =< 0']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('certfleet: --threshold "lockedOut =< 0": expected a check such as "availability.min >= 99.5%", got "lockedOut =< 0"\n');
  });

  it('has validate report a bad threshold in the scenario with its line, exit code 2', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'certfleet-thresholds-bad-')), 'bad.yaml');
    writeFileSync(file, `${TINY_SCENARIO}thresholds:\n  - rotation.latency.p95 < 5%\n`);
    const result = runCli(['validate', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `line ${TINY_SCENARIO.split('\n').length + 1}, column 5: thresholds[0]: expected a duration for rotation.latency.p95, such as 2s or 500ms, or a number of milliseconds, got "5%"`,
    );
  });
});

describe('a run with no thresholds, and --fail-on', () => {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-fail-on-'));
  const daa = join(ROOT, 'scenarios/daa-24h.yaml');
  let ungated: ReturnType<typeof runCli>;
  let gated: ReturnType<typeof runCli>;

  beforeAll(() => {
    // daa-24h at 6 devices and seed 7 leaves a device unable to connect at the end (its clock runs far behind).
    const common = ['run', daa, '--devices', '6', '--seed', '7', '--workers', '1', '--quiet', '--no-report'];
    ungated = runCli([...common, '--out', join(work, 'ungated')]);
    gated = runCli([...common, '--out', join(work, 'gated'), '--fail-on', 'unrecovered', '--fail-on', 'any-failure']);
  }, 240_000);

  it('says that nothing was gated instead of "passed", and exits 0 as documented', () => {
    expect(ungated.status, ungated.stderr).toBe(0);
    expect(ungated.stderr).toContain('certfleet: no thresholds: nothing was gated');
    const summary = JSON.parse(readFileSync(join(work, 'ungated', 'summary.json'), 'utf8')) as JudgedRunSummary;
    expect(summary).toMatchObject({ thresholds: [], gated: false });
    expect(summary.unrecovered.devices).toBeGreaterThan(0);
    expect(readFileSync(join(work, 'ungated', 'summary.md'), 'utf8')).toContain('No thresholds: nothing was gated.');
  });

  it('gates the same run with --fail-on, without an expression: exit 3, each gate named', () => {
    expect(gated.status, gated.stderr).toBe(3);
    const summary = JSON.parse(readFileSync(join(work, 'gated', 'summary.json'), 'utf8')) as JudgedRunSummary;
    expect(summary.gated).toBe(true);
    expect(summary.thresholds.map((t) => [t.name, t.check])).toEqual([
      ['--fail-on unrecovered', 'unrecovered == 0'],
      ['--fail-on any-failure', 'failures == 0'],
      ['--fail-on any-failure', 'rotations.failed == 0'],
    ]);
    expect(summary.thresholds[0]).toMatchObject({ passed: false, actual: summary.unrecovered.devices });
    expect(gated.stderr).toMatch(/^FAIL --fail-on unrecovered: unrecovered == 0 \(actual [1-9]\d*\)$/m);
  });

  it('refuses a gate it does not know, in one line', () => {
    const result = runCli(['run', daa, '--fail-on', 'everything']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^certfleet: Invalid values: Argument: fail-on, Given: "everything", Choices: "unrecovered", "lockedOut", "any-failure"; .*\n$/);
  });
});
