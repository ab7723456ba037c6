#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
// Each command's module is loaded when that command runs: `certfleet clock` need not load the simulator.
import { EXIT } from './exit-codes.js';
import { BROKER_TARGETS } from '../sim/scenario/broker-target-schema.js';
import { exitForInputError } from './input-error-exit.js';

/** `--broker`, on run and validate: the scenario is checked for what that target cannot do. */
const brokerOption = {
  type: 'string',
  choices: BROKER_TARGETS,
  describe: 'the broker target, instead of the scenario\'s broker.target: embedded, mosquitto (started by certfleet under a simulated clock) or external (broker.external, on real time)',
} as const;

await yargs(hideBin(process.argv))
  .scriptName('certfleet')
  .usage('$0 <command> [options]')
  .command(
    'run <scenario>',
    'run a scenario against a broker (embedded by default) and write results/<run-id>/',
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'a scenario file (YAML)' })
        .option('broker', brokerOption)
        .option('devices', { type: 'number', describe: 'fleet size (default: the scenario\'s fleet.devices)' })
        .option('seed', { type: 'number', describe: 'run seed (default: the scenario\'s seed)' })
        .option('out', { type: 'string', describe: 'run folder (default: results/<scenario>-<time>-seed<seed>)' })
        .option('workers', { type: 'number', describe: 'device worker threads (default: CPU cores - 1, at least 1)' })
        .option('device-processes', {
          type: 'number',
          describe: 'child processes the device workers are spread over (default 1; each holds at most the open-file limit of sockets)',
        })
        .option('concurrency', { type: 'number', describe: 'devices acting at once per worker (default 64)' })
        .option('redis', { type: 'string', describe: 'the Redis server (redis://HOST:PORT) that joins the run\'s broker instances and device agents' })
        .option('broker-instances', {
          type: 'number',
          describe: 'run the embedded broker as this many processes joined through --redis, device i on instance i mod B (default: the scenario\'s broker.instances, 1)',
        })
        .option('on-device-crash', {
          type: 'string',
          choices: ['stop', 'restart'] as const,
          default: 'stop' as const,
          describe: 'a device process that dies mid-run: stop (exit 1 with the partial result) or restart it, its devices rebooted (counted)',
        })
        .option('threshold', {
          type: 'string',
          array: true,
          // One value per flag, so a scenario file after the flag is not read as a second check.
          nargs: 1,
          describe: 'a check such as "lockedOut == 0" or "rotation.latency.p95 < 2s", added to the scenario\'s thresholds (repeatable)',
        })
        .option('report', { type: 'boolean', default: true, describe: 'write report.html in the run folder at the end (--no-report: skip it)' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' })
        .option('json', {
          type: 'boolean',
          default: false,
          describe: 'progress (at most once a second) and the result as JSON lines on stdout, no progress bar',
        })
        .option('metrics-port', {
          type: 'number',
          describe: 'serve Prometheus metrics at http://127.0.0.1:<port>/metrics during the run (0: any free port, printed on stderr)',
        })
        .option('agents', { type: 'number', describe: 'host the devices on N agents (certfleet agent) joined through --redis, instead of child processes here' })
        .option('agent-wait', { type: 'string', default: '60s', describe: 'how long to wait for the --agents to join; then the missing ones are named and nothing runs (exit 2)' })
        .option('on-agent-loss', {
          type: 'string',
          choices: ['stop', 'reassign'] as const,
          default: 'stop' as const,
          describe: 'an agent lost mid-run (died, or cut off from Redis): stop (exit 1 with the partial result) or reassign its shards to a surviving agent, its devices rebooted (counted)',
        }),
    async (args) => {
      process.exitCode = await (await import('./run-command.js')).runCommand({
        scenario: args.scenario,
        broker: args.broker,
        devices: args.devices,
        seed: args.seed,
        out: args.out,
        workers: args.workers,
        deviceProcesses: args.deviceProcesses,
        concurrency: args.concurrency,
        redis: args.redis,
        brokerInstances: args.brokerInstances,
        onDeviceCrash: args.onDeviceCrash,
        thresholds: args.threshold,
        quiet: args.quiet,
        report: args.report,
        json: args.json,
        metricsPort: args.metricsPort,
        agents: args.agents,
        agentWait: args.agentWait,
        onAgentLoss: args.onAgentLoss,
      });
    },
  )
  .command(
    'agent',
    'host device shards for runs on other machines: register with --redis, serve the one coordinator that claims it (certfleet run --redis URL --agents N), exit 0 when that run ends; exit 1 if Redis is unreachable or gone for 3 s, no coordinator claims it within --wait, or its coordinator goes away mid-run; exit 2 for a bad flag',
    (y) =>
      y
        .option('redis', { type: 'string', demandOption: true, describe: 'the Redis server the coordinator uses, redis://HOST:PORT' })
        .option('name', { type: 'string', describe: 'the agent\'s name (default: agent-<index>, or <hostname>-<pid> without an index)' })
        .option('index', { type: 'number', describe: 'its place among the run\'s agents, slots go in index order (default: $JOB_COMPLETION_INDEX of a Kubernetes Indexed Job)' })
        .option('workers', { type: 'number', describe: 'device worker threads per slot it hosts (default: CPU cores - 1, at least 1); a run uses the fewest any of its agents offers' })
        .option('wait', { type: 'string', default: '5m', describe: 'how long to wait for a coordinator to claim it' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no stage lines on stderr' }),
    async (args) => {
      process.exitCode = await (await import('./agent-command.js')).agentCommand({
        redis: args.redis,
        name: args.name,
        index: args.index,
        workers: args.workers,
        wait: args.wait,
        quiet: args.quiet,
      });
    },
  )
  .command(
    'broker <scenario>',
    'start the scenario\'s CA, broker and backend, without simulated devices, on a movable simulated clock, for a client of your own (until Ctrl-C)',
    (y) =>
      y
        .positional('scenario', { type: 'string', demandOption: true, describe: 'a scenario file (YAML)' })
        .option('at', { type: 'string', describe: 'the simulated time the clock starts at, e.g. 2030-01-15T00:00:00Z (default: the timeline\'s start)' })
        .option('speed', { type: 'string', describe: 'how fast the clock runs, e.g. 1s/s or 1h/s (default: frozen until moved)' })
        .option('devices', { type: 'number', describe: 'device identities to plan and export from the scenario\'s cohorts (default 5)' })
        .option('listen', { type: 'string', describe: 'the IP address the broker listens on (default 127.0.0.1; 0.0.0.0 lets devices on other hosts reach it)' })
        .option('port', { type: 'number', describe: 'the broker\'s port (default 0: any free port, printed)' })
        .option('export', { type: 'string', describe: 'the folder for broker.json, credentials, the CA and the decision log (default: results/broker-<scenario>-<time>)' })
        .option('ca', { type: 'string', describe: 'reuse the CA an earlier certfleet broker exported (its --export folder, or that folder\'s ca/), so the credentials it issued stay valid' })
        .option('broker', { type: 'string', describe: 'embedded (default) or mosquitto (a real Mosquitto under libfaketime), instead of the scenario\'s broker.target' })
        .option('seed', { type: 'number', describe: 'seed (default: the scenario\'s seed)' })
        .option('accept-time-claims', {
          type: 'boolean',
          default: false,
          describe: 'believe a CONNECT user name certfleet-t=<time> (and a request\'s "t") inside the current tick, as certfleet run does; off: every client is judged at the broker\'s clock',
        }),
    async (args) => {
      process.exitCode = await (await import('./broker-command.js')).brokerCommand({
        scenario: args.scenario,
        at: args.at,
        speed: args.speed,
        devices: args.devices,
        listen: args.listen,
        port: args.port,
        export: args.export,
        ca: args.ca,
        broker: args.broker,
        seed: args.seed,
        acceptTimeClaims: args.acceptTimeClaims,
      });
    },
  )
  .command(
    'clock <dir>',
    'read or move the clock of a running certfleet broker (its --export folder) and print the time it is at',
    (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'the folder holding broker.json' })
        .option('at', { type: 'string', describe: 'set the clock to this UTC time, e.g. 2030-01-15T12:00:00Z' })
        .option('advance', { type: 'string', describe: 'move the clock by a duration, e.g. 90s, 31d; back with --advance=-1h' })
        .option('speed', { type: 'string', describe: 'run it at this rate from now on, e.g. 1s/s, 1h/s, or frozen' }),
    async (args) => {
      process.exitCode = await (await import('./clock-command.js')).clockCommand({ dir: args.dir, at: args.at, advance: args.advance, speed: args.speed });
    },
  )
  .command(
    'validate <scenario>',
    'check a scenario file against the schema and print what it describes',
    (y) => y.positional('scenario', { type: 'string', demandOption: true, describe: 'a scenario file (YAML)' }).option('broker', brokerOption),
    async (args) => {
      process.exitCode = await (await import('./validate-command.js')).validateCommand(args.scenario, { target: args.broker });
    },
  )
  .command(
    'repro <run>',
    'replay one device of a run alone, print its timeline and export its connects for openssl',
    (y) =>
      y
        .positional('run', { type: 'string', demandOption: true, describe: 'a run folder (results/<run-id>)' })
        .option('device', { type: 'string', demandOption: true, describe: 'the device id, e.g. device-00042' }),
    async (args) => {
      process.exitCode = await (await import('./repro-command.js')).reproCommand(args.run, args.device);
    },
  )
  .command(
    'schema',
    'print the JSON Schema of scenario files (for editors), or with --summary of summary.json',
    (y) => y.option('summary', { type: 'boolean', default: false, describe: 'the schema of a run\'s summary.json (docs/summary.schema.json)' }),
    async (args) => {
      process.exitCode = (await import('./schema-command.js')).schemaCommand({ summary: args.summary });
    },
  )
  .command(
    'report <run>',
    'write <run>/report.html: availability, failures, rotations, latency, audits and thresholds over simulated time; for the export folder of certfleet broker, its connect decisions by cause, certificates and deliveries',
    (y) => y.positional('run', { type: 'string', demandOption: true, describe: 'a run folder (results/<run-id>), or the export folder of a certfleet broker session' }),
    async (args) => {
      process.exitCode = await (await import('./report-command.js')).reportCommand(args.run);
    },
  )
  .command(
    'compare <run-a> <run-b>',
    'compare two runs: every summary figure with its delta, and a page with both availability curves',
    (y) =>
      y
        .positional('run-a', { type: 'string', demandOption: true, describe: 'the first run folder (A)' })
        .positional('run-b', { type: 'string', demandOption: true, describe: 'the second run folder (B)' })
        .option('out', { type: 'string', describe: 'the page to write (default: <run-b>/compare.html)' }),
    async (args) => {
      process.exitCode = await (await import('./compare-command.js')).compareCommand({ runA: args.runA, runB: args.runB, out: args.out });
    },
  )
  .demandCommand(1, 'name a command: run, agent, broker, clock, validate, repro, report, compare or schema')
  .strict()
  .fail((message, error, y) => {
    // A command that let bad input through to here still gets exit 2 and no stack trace.
    if (error) process.exit(exitForInputError(error));
    y.showHelp((help: string) => process.stderr.write(`${help}\n\n`));
    process.stderr.write(`certfleet: ${message}\n`);
    process.exit(EXIT.invalidInput);
  })
  .help()
  .parseAsync();
