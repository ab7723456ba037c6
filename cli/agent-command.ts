import { availableParallelism, hostname } from 'node:os';
import { RedisUnavailableError } from '../sim/redis/connect-redis.js';
import { parseRedisUrl } from '../sim/redis/redis-url.js';
import { parseDuration, DURATION_HINT } from '../sim/time/duration.js';
import { AgentError, runAgent } from '../workers/agent/run-agent.js';
import { EXIT } from './exit-codes.js';
import { exitForInputError } from './input-error-exit.js';
import { numericFlagProblem } from './number-flags.js';

export interface AgentArguments {
  redis: string;
  name?: string | undefined;
  index?: number | undefined;
  workers?: number | undefined;
  /** How long to wait for a coordinator, e.g. "5m". */
  wait: string;
  quiet: boolean;
}

/**
 * `certfleet agent`: hosts the device shards a coordinator gives it, for one run. Exit 0 when the run ends (so a
 * Kubernetes Indexed Job completes), 1 when it could not serve the run to its end, 2 for a bad flag.
 */
export async function agentCommand(args: AgentArguments): Promise<number> {
  const index = args.index ?? completionIndex();
  const problems = [numericFlagProblem('workers', args.workers), numericFlagProblem('index', index)].filter((p): p is string => p !== undefined);
  const waitMs = parseDuration(args.wait);
  if (waitMs === undefined || waitMs <= 0) problems.push(`--wait: expected ${DURATION_HINT} (positive), got "${args.wait}"`);
  if (args.name !== undefined && !/^[A-Za-z0-9._-]{1,100}$/.test(args.name)) problems.push(`--name: expected 1 to 100 letters, digits, dots, dashes or underscores, got "${args.name}"`);
  if (problems.length > 0) {
    process.stderr.write(problems.map((p) => `certfleet: ${p}\n`).join(''));
    return EXIT.invalidInput;
  }
  try {
    parseRedisUrl(args.redis);
  } catch (error) {
    return exitForInputError(error);
  }
  const name = args.name ?? (index === undefined ? `${hostname()}-${process.pid}` : `agent-${index}`);
  // Ctrl-C reaches the whole process group: the agent stops with its devices, and the coordinator notices.
  const say = (line: string) => {
    if (!args.quiet) process.stderr.write(`certfleet agent ${name}: ${line}\n`);
  };
  try {
    await runAgent({
      url: args.redis,
      name,
      index,
      workers: args.workers ?? Math.max(1, availableParallelism() - 1),
      waitMs: waitMs ?? 0,
      onKill: () => process.kill(process.pid, 'SIGKILL'),
      onStage: say,
    });
    say('the run ended');
    return EXIT.ok;
  } catch (error) {
    if (error instanceof RedisUnavailableError || error instanceof AgentError) {
      process.stderr.write(`certfleet: ${error.message}\n`);
      return EXIT.runFailed;
    }
    throw error;
  }
}

/** A Kubernetes Indexed Job gives each pod its completion index in JOB_COMPLETION_INDEX. */
function completionIndex(): number | undefined {
  const value = process.env.JOB_COMPLETION_INDEX;
  return value === undefined || value === '' ? undefined : Number(value);
}
