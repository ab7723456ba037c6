import { join } from 'node:path';
import { listenAddressProblem } from '../broker/listen-address.js';
import { compactTime, RunFolderError } from '../sim/results/run-folder.js';
import { parseLiveSpeed, parseLiveTime } from '../sim/run/live-clock.js';
import { startStandaloneBroker, type StandaloneBroker } from '../sim/run/standalone-broker.js';
import { BROKER_TARGETS, type BrokerTargetName } from '../sim/scenario/broker-target-schema.js';
import { EXIT } from './exit-codes.js';
import { exitForInputError } from './input-error-exit.js';
import { loadOrExplain } from './load-or-explain.js';
import { numericFlagProblem } from './number-flags.js';
import { describeStandaloneBroker } from './standalone-broker-lines.js';

export interface BrokerArguments {
  scenario: string;
  at?: string | undefined;
  speed?: string | undefined;
  devices?: number | undefined;
  port?: number | undefined;
  export?: string | undefined;
  ca?: string | undefined;
  broker?: string | undefined;
  seed?: number | undefined;
  acceptTimeClaims: boolean;
  /** The address to listen on (default 127.0.0.1). */
  listen?: string | undefined;
}

/** Device identities `certfleet broker` plans by default, and at most: each is a folder of keys for a client of yours. */
export const DEFAULT_BROKER_DEVICES = 5;
export const MAX_BROKER_DEVICES = 1000;

/**
 * `certfleet broker <scenario>`: the scenario's CA, broker and backend on a movable simulated clock, without
 * simulated devices, until Ctrl-C (exit 0; the folder stays readable). Bad flags: one line each, exit 2.
 */
export async function brokerCommand(args: BrokerArguments): Promise<number> {
  const checked = checkFlags(args);
  if ('problems' in checked) {
    process.stderr.write(checked.problems.map((p) => `certfleet: ${p}\n`).join(''));
    return EXIT.invalidInput;
  }
  const loaded = loadOrExplain(args.scenario, { target: checked.target });
  if (!loaded) return EXIT.invalidInput;
  if (loaded.scenario.broker.target === 'external') {
    // The scenario chose a team's broker and no --broker overrode it.
    process.stderr.write(`certfleet: ${loaded.file}: broker.target external: the standalone broker runs a broker of its own; give --broker embedded or --broker mosquitto\n`);
    return EXIT.invalidInput;
  }
  const dir = args.export ?? join('results', `broker-${loaded.scenario.name}-${compactTime(new Date())}`);

  let broker: StandaloneBroker;
  try {
    broker = await startStandaloneBroker({
      loaded,
      dir,
      ca: args.ca,
      seed: args.seed,
      devices: args.devices ?? DEFAULT_BROKER_DEVICES,
      at: checked.at,
      speed: checked.speed,
      listen: args.listen,
      port: args.port ?? 0,
      timeClaims: args.acceptTimeClaims ? 'accept' : 'ignore',
      onDecisionLine: (line) => process.stderr.write(`${line}\n`),
      onProblem: (line) => process.stderr.write(`certfleet: ${line}\n`),
      onStage: (stage) => process.stderr.write(`certfleet: ${stage}\n`),
    });
  } catch (error) {
    if (error instanceof RunFolderError) {
      process.stderr.write(`certfleet: ${args.export === undefined ? 'export folder' : '--export'} ${error.path}: ${error.problem}\n`);
      return EXIT.invalidInput;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      process.stderr.write(`certfleet: --port ${args.port ?? 0}: cannot listen on 127.0.0.1:${args.port ?? 0} (${code}); choose another port, or 0 for any free one\n`);
      return EXIT.invalidInput;
    }
    return exitForInputError(error);
  }
  process.stdout.write(describeStandaloneBroker(broker.info, dir));
  await untilStopped();
  process.stderr.write('certfleet: stopping the broker\n');
  await broker.close();
  process.stdout.write(`certfleet: stopped; ${join(dir, 'broker.json')} and ${join(dir, 'decisions.ndjson')} stay\n`);
  return EXIT.ok;
}

/** Resolves at the first SIGINT or SIGTERM; a second one quits at once. */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const quit = () => process.exit(EXIT.interrupted);
      process.once('SIGINT', quit);
      process.once('SIGTERM', quit);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

interface CheckedFlags {
  target: BrokerTargetName | undefined;
  at: number | undefined;
  speed: number;
}

function checkFlags(args: BrokerArguments): CheckedFlags | { problems: string[] } {
  const problems: string[] = [];
  let target: BrokerTargetName | undefined;
  if (args.broker !== undefined) {
    if (args.broker === 'external') problems.push('--broker external: the standalone broker runs a broker of its own; expected embedded or mosquitto');
    else if ((BROKER_TARGETS as readonly string[]).includes(args.broker)) target = args.broker as BrokerTargetName;
    else problems.push(`--broker: expected embedded or mosquitto, got ${JSON.stringify(args.broker)}`);
  }
  let at: number | undefined;
  if (args.at !== undefined) {
    const parsed = parseLiveTime(String(args.at));
    if ('problem' in parsed) problems.push(`--at: ${parsed.problem}`);
    else at = parsed.t;
  }
  let speed = 0;
  if (args.speed !== undefined) {
    const parsed = parseLiveSpeed(String(args.speed));
    if ('problem' in parsed) problems.push(`--speed: ${parsed.problem}`);
    else speed = parsed.speed;
  }
  const devices = args.devices;
  if (devices !== undefined && !(typeof devices === 'number' && Number.isSafeInteger(devices) && devices >= 1 && devices <= MAX_BROKER_DEVICES)) {
    problems.push(`--devices: expected a whole number from 1 to ${MAX_BROKER_DEVICES} (each is a folder of keys and certificates for a client you run), got ${describe(devices)}`);
  }
  for (const problem of [numericFlagProblem('port', args.port), numericFlagProblem('seed', args.seed)]) {
    if (problem !== undefined) problems.push(problem);
  }
  const listenProblem = args.listen === undefined ? undefined : listenAddressProblem(String(args.listen));
  if (listenProblem !== undefined) problems.push(`--listen: ${listenProblem}`);
  return problems.length > 0 ? { problems } : { target, at, speed };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `${value.length} values: give it once`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'something that is not a number';
  return String(value);
}
