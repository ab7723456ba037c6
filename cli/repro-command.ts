import type { FleetEvent } from '../sim/events/fleet-event.js';
import { checkWithOpenssl } from '../sim/repro/check-with-openssl.js';
import { reproduceDevice } from '../sim/repro/reproduce-device.js';
import { RunFolderError } from '../sim/results/run-folder.js';
import { OutputWriteError } from '../sim/results/write-failure.js';
import { EXIT } from './exit-codes.js';
import { exitForInputError } from './input-error-exit.js';

/**
 * `certfleet repro <run> --device <id>`: one device's life again, alone, with each connect's chain, path, clock
 * and verdict, and the failures exported for openssl.
 */
export async function reproCommand(runDir: string, deviceId: string, options: { check?: boolean | undefined } = {}): Promise<number> {
  let result;
  try {
    result = await reproduceDevice({ runDir, deviceId, onStage: (stage) => process.stderr.write(`certfleet: ${stage}\n`) });
  } catch (error) {
    if (error instanceof RunFolderError) {
      process.stderr.write(`certfleet: the replay's folder ${error.message}\n`);
      return EXIT.invalidInput;
    }
    if (error instanceof OutputWriteError) {
      process.stderr.write(`certfleet: ${error.message}\n`);
      return EXIT.runFailed;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`certfleet: ${runDir}: not a run folder (${(error as NodeJS.ErrnoException).path ?? 'missing file'})\n`);
      return EXIT.invalidInput;
    }
    return exitForInputError(error);
  }
  const out: string[] = [`${deviceId} (cohort ${result.cohort}), replayed alone:`];
  if (result.scenarioChanged) out.push('  warning: the scenario file changed since the run; the replay uses it as it is now');
  out.push(...timelineLines(result.timeline));
  const replayed = result.timeline.filter((e) => e.type === 'device.connect').map((e) => `${e.t}:${(e as { cause: string }).cause}`);
  const original = result.original.map((e) => `${e.t}:${e.cause}`);
  const same = replayed.length === original.length && replayed.every((r, i) => r === original[i]);
  out.push(
    same
      ? `  the replay matches the run: the same ${original.length} connects, at the same times, with the same causes`
      : `  the replay differs from the run (${replayed.length} connects against ${original.length}): the run's outcome for this device depended on other devices (a rate limit, a shared identity)`,
  );
  out.push(`exported ${result.exports.length} connects (PEMs and openssl commands) under ${result.dir}:`);
  for (const e of result.exports) out.push(`  ${e.dir}/verify.sh  (${new Date(e.t).toISOString()}: ${e.cause}${e.incident ? `; the first connect after the incident of ${e.incident}` : ''})`);
  if (!options.check) {
    process.stdout.write(`${out.join('\n')}\n`);
    return EXIT.ok;
  }
  out.push('openssl on each exported connect, with the options that model the device\'s policy:');
  let disagreements = 0;
  for (const e of result.exports) {
    const check = checkWithOpenssl(e.dir);
    const where = `${new Date(e.t).toISOString()} ${e.cause}`;
    if (check.agrees === undefined) {
      out.push(`  ${where}: not checked (${check.said})`);
      continue;
    }
    if (!check.agrees) disagreements += 1;
    const openssl = check.opensslAccepted ? 'accepts' : 'rejects';
    out.push(`  ${where}: openssl ${check.agrees ? 'agrees' : 'DISAGREES'}: the device ${check.device} the chain, openssl ${openssl} it ("${check.said}"); ${check.note}`);
  }
  out.push(disagreements === 0 ? 'openssl agrees with every verdict it was asked about' : `openssl disagrees on ${disagreements} connect${disagreements === 1 ? '' : 's'}`);
  process.stdout.write(`${out.join('\n')}\n`);
  // A failed check, as a failed threshold is: the replay itself ran.
  return disagreements === 0 ? EXIT.ok : EXIT.thresholdFailed;
}

/** One line per event; a run of identical failures becomes one line with its count and its last time. */
function timelineLines(events: readonly Extract<FleetEvent, { device: string }>[]): string[] {
  const lines: string[] = [];
  let repeat: { key: string; count: number; last: number } | undefined;
  const flush = () => {
    if (repeat && repeat.count > 1) lines.push(`  ... ${repeat.count - 1} more the same, the last at ${iso(repeat.last)}`);
    repeat = undefined;
  };
  for (const e of events) {
    const line = describe(e);
    if (!line) continue;
    const key = `${e.type}:${'cause' in e ? e.cause : ''}`;
    if (repeat && repeat.key === key && key !== 'device.connect:ok') {
      repeat.count += 1;
      repeat.last = e.t;
      continue;
    }
    flush();
    lines.push(`  ${iso(e.t)}  ${line}`);
    repeat = { key, count: 1, last: e.t };
  }
  flush();
  return lines;
}

function describe(e: Extract<FleetEvent, { device: string }>): string | undefined {
  switch (e.type) {
    case 'device.connect': {
      const clock = e.trace ? `clock ${iso(e.trace.clockReading)}` : '';
      const path = e.path?.length ? `path ${e.path.join(' > ')}` : '';
      const failed = e.failed ? `decided by "${e.failed}"` : '';
      return ['connect ', e.cause.padEnd(28), clock, path, failed].filter(Boolean).join('  ');
    }
    case 'device.rotation':
      return `rotation  ${e.outcome} ${e.method}${e.outcome === 'failed' ? ` at ${e.step ?? '?'}: ${e.cause}` : ''}`;
    case 'device.trust-update':
      return `trust update ${e.updateId}: ${e.result}`;
    case 'device.locked-out':
      return `locked out (certificate expired ${iso(e.certificateExpiredAt)})`;
    case 'device.recovery':
      return `recovery via ${e.via}`;
    case 'broker.admission':
      return `broker refused: ${e.cause}${e.failed ? ` ("${e.failed}")` : ''}`;
    default:
      return undefined;
  }
}

function iso(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
