import { describe, expect, it } from 'vitest';
import { argumentProblemLine } from '../../cli/argument-problem.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from '../support/cli.js';

describe('a command line yargs refuses', () => {
  it('gets one line naming the closest known flag, not the whole help, and exit 2', () => {
    const result = runCli(['run', 'scenarios/daa-24h.yaml', '--device', '3']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('certfleet: unknown flag --device (did you mean --devices?); certfleet run --help lists them\n');
    expect(result.stdout).toBe('');
  });

  it('names a mistyped command with the closest command', () => {
    const result = runCli(['rnu', 'scenarios/daa-24h.yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('certfleet: unknown command "rnu" (did you mean run?); certfleet --help lists the commands\n');
  });

  it('suggests nothing for a flag far from every known one, and names each unknown flag once', () => {
    const help = 'Options:\n  --devices  fleet size\n  --seed  run seed\n  --help';
    expect(argumentProblemLine('Unknown arguments: zzzzzz, sed', help, ['run', 'x', '--zzzzzz', '1', '--sed=4'])).toBe(
      'unknown flag --zzzzzz, unknown flag --sed (did you mean --seed?); certfleet run --help lists them',
    );
    expect(argumentProblemLine('Unknown argument: extra', help, ['run', 'x', 'extra'])).toBe('unexpected argument "extra"; certfleet run --help lists them');
  });

  it('keeps yargs\'s own words for other problems, with where to look', () => {
    const result = runCli(['repro']);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('certfleet repro --help says what it takes');
  });
});

describe('certfleet run --help', () => {
  it('lists every shipped scenario with the first sentence of its description', () => {
    const result = runCli(['run', '--help']);
    expect(result.status).toBe(0);
    const shipped = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(shipped.length).toBeGreaterThan(10);
    for (const file of shipped) expect(result.stdout).toMatch(new RegExp(`^  scenarios/${file.replace('.', '\\.')} +\\S.{8,}$`, 'm'));
    expect(result.stdout).toMatch(/scenarios\/root-expiry-2030\.yaml +Root CA expiry with rollout, cross-signing and a chain switch/m);
  });
});
