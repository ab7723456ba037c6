import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../sim/scenario/load-scenario.js';
import { parseScenario } from '../../sim/scenario/load-scenario.js';
import { editedText } from '../support/scenario-file.js';
import { TINY_SCENARIO } from '../support/tiny-scenario.js';

const BROKER = 'broker:\n  serverCertificate: broker\n';

/** The tiny scenario with a broker.listen section. */
function withListen(section: string): string {
  return editedText(TINY_SCENARIO, [BROKER, `${BROKER}  listen: ${section}\n`]);
}

function problemsOf(text: string, options: Parameters<typeof parseScenario>[2] = {}): readonly string[] {
  try {
    parseScenario(text, 'tiny.yaml', options);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  throw new Error('the scenario was accepted');
}

describe('broker.listen in a scenario', () => {
  it('takes an address, a port and an advertised name, and leaves the default broker on loopback without it', () => {
    expect(parseScenario(withListen('{ address: 0.0.0.0, port: 8883, advertise: coordinator.fleet.example }'), 'tiny.yaml').broker.listen).toEqual({
      address: '0.0.0.0',
      port: 8883,
      advertise: 'coordinator.fleet.example',
    });
    expect(parseScenario(withListen('{ port: 8883 }'), 'tiny.yaml').broker.listen).toEqual({ address: '127.0.0.1', port: 8883 });
    expect(parseScenario(TINY_SCENARIO, 'tiny.yaml').broker.listen).toBeUndefined();
  });

  it('refuses a host name as the address to listen on, and a port beyond 65535, at their lines', () => {
    expect(problemsOf(withListen('{ address: broker.example, port: 70000 }'))).toEqual([
      expect.stringMatching(/^line \d+, column \d+: broker\.listen\.address: expected an IP address of this host to listen on \(127\.0\.0\.1, 0\.0\.0\.0, 192\.0\.2\.10, ::\), got "broker\.example"$/),
      expect.stringMatching(/^line \d+, column \d+: broker\.listen\.port: .*65535/),
    ]);
  });

  it('is refused for broker.target external, which listens where it listens', () => {
    const text = editedText(
      withListen('{ address: 0.0.0.0 }'),
      ['  start: 2030-01-01T00:00:00Z\n  end: 2030-03-01T00:00:00Z\n', '  start: now\n  duration: 1h\n  speed: 1s/s\n'],
    );
    expect(problemsOf(text, { target: 'external' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/broker\.listen: --broker external cannot do this: certfleet cannot choose where a broker it does not run listens; leave it out/),
      ]),
    );
  });
});
