/**
 * What a scenario may make certfleet do is bounded before anything runs: YAML that expands or nests without end,
 * files that never end, numbers a double cannot hold, durations and dates beyond what X.509 writes, timelines too
 * large to finish. Each is refused with the loader's own error, naming the field and what was expected.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../../sim/scenario/load-scenario.js';
import { timelineSize, timelineWarnings } from '../../sim/scenario/timeline-size.js';
import { BASE, edited, type Edit } from './scenario-text.js';

const work = mkdtempSync(join(tmpdir(), 'certfleet-input-limits-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The problems the loader reports; fails the test when the text is accepted or something else is thrown. */
function problemsOf(text: string): readonly string[] {
  try {
    parseScenario(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).problems;
  }
  throw new Error('expected a ScenarioError, but the scenario was accepted');
}

function loadProblems(file: string): readonly string[] {
  try {
    loadScenario(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).problems;
  }
  throw new Error('expected a ScenarioError, but the scenario was accepted');
}

describe('YAML resource exhaustion', () => {
  it('an alias bomb (each level ten aliases of the one before) is refused, not expanded', () => {
    const levels = Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`);
    const text = `l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n${levels.join('\n')}\n`;
    expect(problemsOf(text)).toEqual([
      'YAML: aliases (*name) expand to more than 100 times what their anchors (&name) hold: refused as a resource-exhaustion attack',
    ]);
  });

  it('a few aliases of a small anchor are fine: the scenario loads', () => {
    const text = edited(['    - name: a\n      share: 0.6\n      trustStore: { anchors: [root] }\n', '    - name: a\n      share: 0.6\n      trustStore: &store { anchors: [root] }\n'], ['    - name: b\n      share: 0.4\n      trustStore: { anchors: [root] }\n', '    - name: b\n      share: 0.4\n      trustStore: *store\n']);
    expect(parseScenario(text, 'test.yaml').fleet.cohorts[1]?.trustStore.anchors).toEqual(['root']);
  });

  it('an alias to an anchor that is never defined is a YAML problem', () => {
    expect(problemsOf(edited(['  devices: 10', '  devices: *nowhere']))[0]).toMatch(/YAML: .*nowhere/);
  });

  it('nesting deeper than 64 levels is refused, in flow and in block style', () => {
    const nested = `${BASE}extra: ${'['.repeat(100)}${']'.repeat(100)}\n`;
    expect(problemsOf(nested)).toEqual(['YAML: nested more than 64 levels deep: refused (a scenario needs about 10)']);
    const block = `${BASE}extra:\n${Array.from({ length: 80 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} x\n`;
    expect(problemsOf(block)).toEqual(['YAML: nested more than 64 levels deep: refused (a scenario needs about 10)']);
  });

  it('flow nesting thousands deep is a YAML problem with its line, not a stack overflow', () => {
    const problems = problemsOf(`${BASE}extra: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    for (const p of problems) expect(p).toMatch(/^(line \d+, column \d+: )?YAML: /);
  });
});

describe('files that are not scenario files', () => {
  it('a file over 1 MiB is refused from its size, before it is read', () => {
    const file = join(work, 'huge.yaml');
    writeFileSync(file, BASE);
    truncateSync(file, 64 * 1024 * 1024);
    expect(loadProblems(file)).toEqual(['64 MiB, larger than the 1 MiB certfleet reads: refused']);
  });

  it('/dev/zero is refused as a character device', () => {
    expect(loadProblems('/dev/zero')).toEqual(['not a regular file (a character device), expected a file']);
  });

  it('a named pipe is refused without waiting for a writer', () => {
    const pipe = join(work, 'scenario.fifo');
    execFileSync('mkfifo', [pipe]);
    expect(loadProblems(pipe)).toEqual(['not a regular file (a named pipe), expected a file']);
  });
});

describe('numbers, durations and dates out of range', () => {
  const cases: [string, Edit, string][] = [
    ['a seed beyond 2^53', ['name: tiny\n', 'name: tiny\nseed: 9007199254740993\n'], 'seed: expected'],
    ['a seed of 1e308', ['name: tiny\n', 'name: tiny\nseed: 1e308\n'], 'seed: expected'],
    ['an infinite fleet', ['  devices: 10', '  devices: .inf'], 'fleet.devices: expected'],
    ['a fleet of NaN devices', ['  devices: 10', '  devices: .nan'], 'fleet.devices: expected'],
    ['a billion devices', ['  devices: 10', '  devices: 1000000000'], 'fleet.devices: expected a number <= 100000, got 1000000000'],
    ['a drift of 1e308 ppm', ['{ driftPpm: { min: -20, max: 20 } }', '{ driftPpm: 1e308 }'], 'fleet.cohorts[0].clock.driftPpm: expected a number <= 1000000, got 1e+308'],
    ['a drift range up to infinity', ['{ driftPpm: { min: -20, max: 20 } }', '{ driftPpm: { min: 0, max: .inf } }'], 'fleet.cohorts[0].clock.driftPpm'],
    ['a lifetime of 10^23 years', ['    lifetime: 90d', '    lifetime: 99999999999999999999999y'], 'pki.deviceCertificates.lifetime: expected a duration of at most 1000y either way, got "99999999999999999999999y"'],
    ['a duration of 400 digits', ['    lifetime: 90d', `    lifetime: ${'9'.repeat(400)}d`], 'pki.deviceCertificates.lifetime: expected a duration of at most 1000y'],
    ['a negative offset beyond 1000 years', ['{ driftPpm: { min: -20, max: 20 } }', '{ offset: -1001y }'], 'fleet.cohorts[0].clock.offset: expected a duration of at most 1000y either way'],
    [
      'device certificates that would expire after 9999',
      ['  end: 2030-03-01T00:00:00Z', '  end: 9999-12-01T00:00:00Z'],
      'pki.deviceCertificates.lifetime: expected certificates issued up to timeline.end to expire by 9999-12-31T23:59:59Z',
    ],
    [
      'first certificates that would be issued before the year 0000',
      ['  start: 2030-01-01T00:00:00Z', '  start: 0000-01-02T00:00:00Z'],
      'pki.deviceCertificates.lifetime: expected first certificates issued after the year 0000',
    ],
    ['a pathLength of 10^15', ['      issuer: root\n', '      issuer: root\n      pathLength: 1000000000000000\n'], 'pki.authorities[1].pathLength: expected a number <= 64'],
    ['a server certificate host that is not a host name', ['      chain: [ca]', '      chain: [ca]\n      hosts: ["💥 bad host"]'], 'pki.serverCertificates[0].hosts[0]: expected a host name such as "broker.example" or an IPv4 address, got "💥 bad host"'],
    ['an IPv4 address with an octet over 255', ['  serverCertificate: broker', '  serverCertificate: broker\n  host: 999.1.1.1'], 'broker.host: expected a host name such as "broker.example" or an IPv4 address, got "999.1.1.1"'],
    ['a country that is not two capital letters (X.520 PrintableString)', ['{ CN: Test CA }', '{ CN: Test CA, C: "ÜÜ" }'], 'pki.authorities[1].subject.C: expected a two-letter country code such as "US"'],
    ['a rate of 1e-300 per second', ['  deviceAuthorities: [root]', '  deviceAuthorities: [root]\n  limits: { issuancePerSecond: 1e-300 }'], 'broker.limits.issuancePerSecond: expected a number >= 0.000001'],
  ];

  it.each(cases)('%s is refused naming the field', (_name, edit, message) => {
    const problems = problemsOf(edited(edit));
    expect(problems.some((p) => p.includes(message)), problems.join('\n')).toBe(true);
  });
});

describe('timeline size', () => {
  it('counts epochs as span / step plus samples plus events, and samples as span / sample', () => {
    const scenario = parseScenario(edited(['  end: 2030-03-01T00:00:00Z', '  end: 2030-03-01T00:00:00Z\n  step: 1h\n  sample: 1d']), 'test.yaml');
    // 2030-01-01 to 2030-03-01: 59 days.
    expect(timelineSize(scenario)).toMatchObject({ epochs: 59 * 24 + 59 + 1, samples: 59, deliveries: 0 });
  });

  it('more availability samples than certfleet writes is refused with the figure, naming timeline.sample', () => {
    expect(problemsOf(edited(['  end: 2030-03-01T00:00:00Z', '  end: 2030-06-01T00:00:00Z\n  sample: 1m']))).toContain(
      'line 6, column 3: timeline.sample: expected at most 100,000 availability samples, got 217,440 availability samples (timeline.start 2030-01-01T00:00:00Z to timeline.end 2030-06-01T00:00:00Z every 1m, timeline.sample)',
    );
  });

  it('more epochs than certfleet can finish is refused with the number of epochs, naming timeline.step', () => {
    const problems = problemsOf(edited(['  end: 2030-03-01T00:00:00Z', '  end: 2040-01-01T00:00:00Z\n  step: 10s']));
    expect(problems.find((p) => p.includes('timeline.step'))).toBe(
      'line 6, column 3: timeline.step: expected a timeline of at most 10,000,000 epochs, got 31,556,933 epochs (timeline.start 2030-01-01T00:00:00Z to timeline.end 2040-01-01T00:00:00Z in steps of 10s, timeline.step, plus 3,652 samples and 1 events)',
    );
  });

  it('connects scheduled every millisecond for two months are refused with their number', () => {
    const problems = problemsOf(edited(['    - name: b\n      share: 0.4\n', '    - name: b\n      share: 0.4\n      connectivity: { reconnectEvery: 1ms }\n']));
    expect(problems.find((p) => p.includes('scheduled connects'))).toBe(
      'line 30, column 3: fleet.devices: expected at most 1,000,000,000 scheduled connects and renewals, got 20,390,400,020 scheduled connects and renewals for 10 devices over timeline.start 2030-01-01T00:00:00Z to timeline.end 2030-03-01T00:00:00Z (connectivity.reconnectEvery, connectivity.outages, renewal.at of pki.deviceCertificates.lifetime)',
    );
  });

  it('a timeline that will be slow loads, with a warning that gives the figure and the field', () => {
    const scenario = parseScenario(edited(['  end: 2030-03-01T00:00:00Z', '  end: 2030-03-01T00:00:00Z\n  sample: 5m']), 'test.yaml');
    expect(timelineWarnings(scenario)).toEqual([
      'timeline.sample: 16,992 availability samples (timeline.start 2030-01-01T00:00:00Z to timeline.end 2030-03-01T00:00:00Z every 5m, timeline.sample); summary.json and the report grow with each',
    ]);
  });

  it('a timeline paced in real time over two months warns how long the run will last', () => {
    const scenario = parseScenario(edited(['  end: 2030-03-01T00:00:00Z', '  end: 2030-03-01T00:00:00Z\n  speed: 1s/s']), 'test.yaml');
    expect(timelineWarnings(scenario)).toEqual(['timeline.speed: the run lasts at least 59d of wall time ("max" runs as fast as it can)']);
  });

  it('the shipped-size scenario has no warnings', () => {
    expect(timelineWarnings(parseScenario(BASE, 'test.yaml'))).toEqual([]);
  });
});

describe('odd keys', () => {
  it('an unknown key that is blank is quoted in the path, so the problem still says where', () => {
    expect(problemsOf(`${BASE}" ": 1\n`)).toContain('line 43, column 1: [" "]: unknown key (not part of the scenario schema)');
  });
});
