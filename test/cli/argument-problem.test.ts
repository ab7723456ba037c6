import { describe, expect, it } from 'vitest';
import { argumentProblemLine } from '../../cli/argument-problem.js';
import { runCli } from '../support/cli.js';

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
