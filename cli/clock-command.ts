import { readBrokerJson } from '../sim/run/broker-json.js';
import type { ClockMove } from '../sim/run/clock-move.js';
import { parseLiveSpeed, parseLiveTime } from '../sim/run/live-clock.js';
import { DURATION_HINT, parseDuration } from '../sim/time/duration.js';
import { EXIT } from './exit-codes.js';
import { exitForInputError } from './input-error-exit.js';

export interface ClockArguments {
  dir: string;
  at?: string | undefined;
  advance?: string | undefined;
  speed?: string | undefined;
}

/**
 * `certfleet clock <DIR>`: reads the running `certfleet broker`'s clock from DIR/broker.json, or moves it (--at TIME
 * or --advance DURATION, and/or --speed RATE), and prints the time it is at: "<ISO time> <speed>".
 */
export async function clockCommand(args: ClockArguments): Promise<number> {
  const move = checkedMove(args);
  if ('problems' in move) {
    process.stderr.write(move.problems.map((p) => `certfleet: ${p}\n`).join(''));
    return EXIT.invalidInput;
  }
  let url: string;
  try {
    url = (await readBrokerJson(args.dir)).clock.control;
  } catch (error) {
    return exitForInputError(error);
  }
  const body = { ...(args.at === undefined ? {} : { at: args.at }), ...(args.advance === undefined ? {} : { advance: args.advance }), ...(args.speed === undefined ? {} : { speed: args.speed }) };
  const moving = Object.keys(body).length > 0;
  let response: Response;
  try {
    response = await fetch(url, moving ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
  } catch (error) {
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? (error as Error).message;
    process.stderr.write(`certfleet: the broker of ${args.dir} is not running: cannot reach ${url} (${code})\n`);
    return EXIT.runFailed;
  }
  const answer = (await response.json().catch(() => ({}))) as { time?: string; speed?: string; error?: string };
  if (!response.ok || answer.time === undefined) {
    process.stderr.write(`certfleet: the broker refused the move: ${answer.error ?? `HTTP ${response.status}`}\n`);
    return response.status === 400 ? EXIT.invalidInput : EXIT.runFailed;
  }
  process.stdout.write(`${answer.time} ${answer.speed ?? ''}\n`);
  return EXIT.ok;
}

/** The flags checked here, so a mistake names the flag (the broker would check them again). */
function checkedMove(args: ClockArguments): ClockMove | { problems: string[] } {
  const problems: string[] = [];
  const move: ClockMove = {};
  if (args.at !== undefined && args.advance !== undefined) problems.push('--at, --advance: give one of them, not both');
  if (args.at !== undefined) {
    const at = parseLiveTime(String(args.at));
    if ('problem' in at) problems.push(`--at: ${at.problem}`);
    else move.at = at.t;
  }
  if (args.advance !== undefined) {
    const ms = parseDuration(String(args.advance));
    if (ms === undefined) problems.push(`--advance: expected ${DURATION_HINT}, got ${JSON.stringify(String(args.advance))}`);
    else move.advance = ms;
  }
  if (args.speed !== undefined) {
    const speed = parseLiveSpeed(String(args.speed));
    if ('problem' in speed) problems.push(`--speed: ${speed.problem}`);
    else move.speed = speed.speed;
  }
  return problems.length > 0 ? { problems } : move;
}
