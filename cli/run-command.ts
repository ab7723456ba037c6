import { listenAddressProblem } from '../broker/listen-address.js';
import { hostName } from '../sim/scenario/primitives.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { policyModuleFailureIn } from '../sim/policy/policy-module-error.js';
import { PolicyProbeInterrupted } from '../sim/policy/policy-probe.js';
import { RunFolderError } from '../sim/results/run-folder.js';
import { OutputWriteError } from '../sim/results/write-failure.js';
import { MetricsServerError } from '../sim/run/metrics-server.js';
import { runScenario } from '../sim/run/run-scenario.js';
import { RedisUnavailableError } from '../sim/redis/connect-redis.js';
import { AgentWaitInterrupted } from '../sim/run/agents/agent-roster.js';
import { parseRedisUrl, RedisUrlError } from '../sim/redis/redis-url.js';
import { DURATION_HINT, parseDuration } from '../sim/time/duration.js';
import type { BrokerTargetName } from '../sim/scenario/broker-target-schema.js';
import type { LoadedScenario } from '../sim/scenario/load-scenario.js';
import { fleetSizeProblems, timelineWarnings } from '../sim/scenario/timeline-size.js';
import { defineThreshold, type Threshold } from '../sim/thresholds/define-threshold.js';
import { describeThresholdResult, type ThresholdResult } from '../sim/thresholds/evaluate-thresholds.js';
import { EXIT } from './exit-codes.js';
import { exitForInputError } from './input-error-exit.js';
import { loadOrExplain } from './load-or-explain.js';
import { numericFlagProblem } from './number-flags.js';
import { PlainProgress } from './plain-progress.js';
import { ProgressBar } from './progress-bar.js';
import { writeReportAfterRun } from './report-command.js';
import { RecentRate } from './recent-rate.js';
import { JsonProgress, progressRecord, progressText } from './run-progress.js';
import { resultRecord } from './run-result-line.js';

export interface RunArguments {
  scenario: string;
  /** `--broker`: the broker target instead of the scenario's broker.target. */
  broker?: BrokerTargetName | undefined;
  /** `--listen`, `--broker-port`, `--advertise`: where the broker listens and devices on other hosts dial it. */
  listen?: string | undefined;
  brokerPort?: number | undefined;
  advertise?: string | undefined;
  devices?: number | undefined;
  seed?: number | undefined;
  out?: string | undefined;
  workers?: number | undefined;
  deviceProcesses?: number | undefined;
  concurrency?: number | undefined;
  /** `--redis URL`: the Redis server that joins broker instances (and device agents). */
  redis?: string | undefined;
  /** `--broker-instances B`: the embedded broker as B processes (overrides the scenario's broker.instances). */
  brokerInstances?: number | undefined;
  /** A device process that dies mid-run: end the run (default) or replace it, its devices rebooted. */
  onDeviceCrash?: 'stop' | 'restart' | undefined;
  /** Checks such as "lockedOut == 0", evaluated with the scenario's thresholds. */
  thresholds?: string[] | undefined;
  /** Gates without expressions (--fail-on): each becomes named thresholds. */
  failOn?: readonly FailOn[] | undefined;
  quiet: boolean;
  /** Write report.html at the end (default true; --no-report). */
  report?: boolean | undefined;
  /** Progress and the result as JSON lines on stdout; no progress bar. */
  json?: boolean | undefined;
  /** Serve Prometheus metrics on 127.0.0.1:<port>/metrics during the run (0: any free port). */
  metricsPort?: number | undefined;
  /** Host the devices on N agents joined through --redis. */
  agents?: number | undefined;
  /** How long to wait for the agents, e.g. "60s". */
  agentWait?: string | undefined;
  onAgentLoss?: 'stop' | 'reassign' | undefined;
}

export async function runCommand(args: RunArguments): Promise<number> {
  const problems = [
    numericFlagProblem('devices', args.devices),
    numericFlagProblem('seed', args.seed),
    numericFlagProblem('workers', args.workers),
    numericFlagProblem('device-processes', args.deviceProcesses),
    numericFlagProblem('concurrency', args.concurrency),
    numericFlagProblem('broker-instances', args.brokerInstances),
    numericFlagProblem('metrics-port', args.metricsPort),
    numericFlagProblem('broker-port', args.brokerPort),
    ...listenFlagProblems(args),
    numericFlagProblem('agents', args.agents),
    ...agentFlagProblems(args),
  ].filter((p): p is string => p !== undefined);
  const thresholds = commandLineThresholds(args.thresholds ?? [], args.failOn ?? []);
  problems.push(...thresholds.problems);
  if (problems.length > 0) {
    process.stderr.write(problems.map((p) => `certfleet: ${p}\n`).join(''));
    return EXIT.invalidInput;
  }
  const loaded = loadOrExplain(args.scenario, { target: args.broker });
  if (!loaded) return EXIT.invalidInput;
  if (loaded.scenario.broker.target === 'external' && (args.listen ?? args.brokerPort ?? args.advertise) !== undefined) {
    process.stderr.write(`certfleet: --listen, --broker-port, --advertise: ${loaded.file} runs against broker.target external, which listens where it listens; leave them out\n`);
    return EXIT.invalidInput;
  }
  const fleetSize = timelineWarningsOrProblem(loaded, args.devices);
  if (fleetSize !== undefined) return fleetSize;

  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write('\ncertfleet: stopping after this epoch and writing a partial summary (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const bar = new ProgressBar(process.stderr, !args.quiet && !args.json);
  const plain = new PlainProgress((line) => process.stderr.write(line), !args.quiet && !args.json && process.stderr.isTTY !== true);
  const jsonProgress = args.json ? new JsonProgress((line) => process.stdout.write(line)) : undefined;
  const rotationRate = new RecentRate();
  const devices = args.devices ?? loaded.scenario.fleet.devices;
  let outcome: Awaited<ReturnType<typeof runScenario>>;
  try {
    outcome = await runScenario({
      loaded,
      seed: args.seed,
      devices: args.devices,
      listen: args.listen,
      brokerPort: args.brokerPort,
      advertise: args.advertise,
      outDir: args.out,
      workers: args.workers,
      deviceProcesses: args.deviceProcesses,
      concurrency: args.concurrency,
      redis: args.redis,
      brokerInstances: args.brokerInstances,
      onDeviceCrash: args.onDeviceCrash,
      onDeviceRestart: (restart) => {
        // Said even with --quiet: the run goes on, but not as planned.
        const where = restart.replacement === undefined ? '' : ` on ${restart.replacement}`;
        process.stderr.write(`\ncertfleet: ${restart.reason}; restarted its ${restart.devices} devices as rebooted devices${where} at ${new Date(restart.t).toISOString()}\n`);
      },
      thresholds: thresholds.defined,
      signal: controller.signal,
      onStage: (stage) => {
        if (!args.quiet) process.stderr.write(`certfleet: ${stage}\n`);
        plain.stage(stage === 'running' ? 'running the first epoch' : stage);
      },
      onProgress: (p) => {
        const now = performance.now();
        const record = progressRecord(p, devices, rotationRate.observe(now, p.live.rotationsSucceeded));
        jsonProgress?.update(record, now);
        bar.update(p.fraction, progressText(record));
        plain.update(p.fraction, progressText(record));
      },
      metricsPort: args.metricsPort,
      agents: args.agents,
      agentWaitMs: args.agentWait === undefined ? undefined : parseDuration(args.agentWait),
      onAgentLoss: args.onAgentLoss,
      onMetricsServing: (url) => {
        // Printed even with --quiet: with port 0 it is the only way to learn the port.
        process.stderr.write(`certfleet: metrics at ${url}\n`);
        if (args.json) process.stdout.write(`${JSON.stringify({ type: 'metrics', url })}\n`);
      },
    });
  } catch (error) {
    // A scenario that only shows its problem when run (a renewal policy module that does not load): bad input.
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    plain.done();
    if (error instanceof RunFolderError) {
      process.stderr.write(`certfleet: ${args.out === undefined ? 'run folder' : '--out'} ${error.path}: ${error.problem}\n`);
      return EXIT.invalidInput;
    }
    if (error instanceof OutputWriteError) {
      // The run folder took the checks but not the manifest (the disk filled up in between): nothing ran.
      process.stderr.write(`certfleet: ${error.message}\n`);
      return EXIT.runFailed;
    }
    if (error instanceof PolicyProbeInterrupted || error instanceof AgentWaitInterrupted) {
      process.stderr.write(`certfleet: ${error.message}; nothing was run\n`);
      return EXIT.interrupted;
    }
    if (error instanceof RedisUnavailableError) {
      // The run folder is left empty: nothing ran.
      process.stderr.write(`certfleet: ${error.message}; nothing was run\n`);
      return EXIT.runFailed;
    }
    if (error instanceof MetricsServerError) {
      process.stderr.write(`certfleet: --metrics-port: ${error.message}\n`);
      return EXIT.invalidInput;
    }
    return exitForInputError(error);
  }
  const { dir, summary, outputFailure } = outcome;
  bar.done();
  plain.done();
  jsonProgress?.finish();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const rotations = summary.rotations;
  process.stderr.write(
    `certfleet: ${summary.complete ? 'finished' : `stopped early (${summary.interruption ?? 'unknown'})`} in ${summary.wall.seconds} s: ` +
      `${rotationsLine(rotations)}, ` +
      `${summary.unrecovered.devices} device${summary.unrecovered.devices === 1 ? '' : 's'} unable to connect at the end\n`,
  );
  process.stderr.write(thresholdReport(summary.thresholds, summary.complete));
  // A run folder that stopped taking writes: the run failed whatever its numbers, and no report is attempted on it.
  if (outputFailure) process.stderr.write(`certfleet: ${outputFailure.message}\n`);
  if (args.report !== false && !outputFailure) await writeReportAfterRun(dir);
  if (args.json) process.stdout.write(`${JSON.stringify(await resultRecord(dir, summary))}\n`);
  else {
    // Every file the run wrote, as the folder holds it now (the report included).
    const files = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(dir, entry.name)).sort();
    process.stdout.write(`results: ${dir}\n${files.map((f) => `  ${f}\n`).join('')}`);
  }
  if (outputFailure) return EXIT.runFailed;
  // A broken or interrupted run says so first: its thresholds only saw part of the timeline.
  if (!summary.complete) {
    // A renewal module that threw, answered nonsense or overran its budget during the run: bad input, said last.
    const moduleFailure = policyModuleFailureIn(summary.interruption);
    if (moduleFailure !== undefined) {
      process.stderr.write(`certfleet: invalid scenario ${loaded.file}: ${moduleFailure}\n`);
      return EXIT.invalidInput;
    }
    return controller.signal.aborted ? EXIT.interrupted : EXIT.runFailed;
  }
  return summary.thresholdsPassed ? EXIT.ok : EXIT.thresholdFailed;
}

/** --listen must be an IP address of this host; --advertise a host name or IPv4 address another host dials. */
function listenFlagProblems(args: RunArguments): string[] {
  const problems: string[] = [];
  const listenProblem = args.listen === undefined ? undefined : listenAddressProblem(String(args.listen));
  if (listenProblem !== undefined) problems.push(`--listen: ${listenProblem}`);
  if (args.advertise !== undefined && !hostName.safeParse(args.advertise).success) {
    problems.push(`--advertise: expected a host name such as "broker.example" or an IPv4 address that device agents on other hosts dial, got ${JSON.stringify(args.advertise)}`);
  }
  return problems;
}

/** --redis must be a Redis URL, --agents needs it, --agent-wait is a duration. */
function agentFlagProblems(args: RunArguments): string[] {
  const problems: string[] = [];
  if (args.redis !== undefined) {
    try {
      parseRedisUrl(args.redis);
    } catch (error) {
      if (!(error instanceof RedisUrlError)) throw error;
      problems.push(error.message);
    }
  }
  if (args.agents !== undefined && args.redis === undefined) problems.push('--agents: needs --redis redis://HOST:PORT, the Redis server the agents registered with');
  const wait = args.agentWait === undefined ? 1 : parseDuration(args.agentWait);
  if (wait === undefined || wait <= 0) problems.push(`--agent-wait: expected ${DURATION_HINT} (positive), got "${args.agentWait ?? ''}"`);
  return problems;
}

/** What each --fail-on gates, as threshold checks on the run's summary (README, "Thresholds"). */
export type FailOn = 'unrecovered' | 'lockedOut' | 'any-failure';
const FAIL_ON_CHECKS: Record<FailOn, readonly string[]> = {
  unrecovered: ['unrecovered == 0'],
  lockedOut: ['lockedOut == 0'],
  'any-failure': ['failures == 0', 'rotations.failed == 0'],
};

/** "12/14 rotations (p50 830 ms, p99 2100 ms)", or "no rotations" when none was attempted. */
export function rotationsLine(rotations: { attempted: number; succeeded: number; latencyMs: { p50: number; p99: number } }): string {
  if (rotations.attempted === 0) return 'no rotations';
  return `${rotations.succeeded}/${rotations.attempted} rotations (p50 ${rotations.latencyMs.p50} ms, p99 ${rotations.latencyMs.p99} ms)`;
}

/** The --threshold and --fail-on checks, or what is wrong with each. The command line names no cohorts, so none are known. */
function commandLineThresholds(checks: string[], failOn: readonly FailOn[]): { defined: Threshold[]; problems: string[] } {
  const defined: Threshold[] = [];
  const problems: string[] = [];
  const gates = [...new Set(failOn)].flatMap((gate) => FAIL_ON_CHECKS[gate].map((check) => ({ check, name: `--fail-on ${gate}` })));
  for (const { check, name } of [...checks.map((check) => ({ check, name: undefined })), ...gates]) {
    const result = defineThreshold(name === undefined ? { check } : { check, name }, []);
    if ('threshold' in result) defined.push(result.threshold);
    else problems.push(...result.problems.map((p) => `--threshold ${JSON.stringify(check)}: ${p.message}`));
  }
  return { defined, problems };
}

/** One line per threshold ("PASS lockedOut == 0 (actual 0)") and a count of the failures. */
function thresholdReport(results: ThresholdResult[], complete: boolean): string {
  if (results.length === 0) return `certfleet: no thresholds: nothing was gated (--fail-on unrecovered|lockedOut|any-failure or --threshold gate a run)\n`;
  const lines = results.map((r) => `${r.passed ? 'PASS' : 'FAIL'} ${describeThresholdResult(r)}`);
  const failed = results.filter((r) => !r.passed).length;
  const partial = complete ? '' : ' on the partial run';
  const count = `${results.length} threshold${results.length === 1 ? '' : 's'}`;
  lines.push(`certfleet: ${failed === 0 ? `${count} passed` : `${failed} of ${count} failed`}${partial}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Said before the run starts: a timeline that will be slow (warnings, on stderr), or one whose scheduled work at
 * --devices is more than certfleet can finish (exit 2). The scenario's own fleet size was checked when it loaded.
 */
function timelineWarningsOrProblem(loaded: LoadedScenario, devices: number | undefined): number | undefined {
  const problems = devices === undefined ? [] : fleetSizeProblems(loaded.scenario, devices);
  if (problems.length > 0) {
    process.stderr.write(problems.map((p) => `certfleet: --devices: ${p} in ${loaded.file}\n`).join(''));
    return EXIT.invalidInput;
  }
  for (const warning of timelineWarnings(loaded.scenario, devices)) process.stderr.write(`certfleet: warning: ${loaded.file}: ${warning}\n`);
  return undefined;
}
