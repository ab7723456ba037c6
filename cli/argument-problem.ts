import { closest, distance } from 'fastest-levenshtein';

/**
 * The one line a command line yargs refused gets, instead of the whole help: an unknown flag with the closest flag
 * the command knows ("did you mean --devices?"), and where the full list is.
 */
export function argumentProblemLine(message: string, help: string, argv: readonly string[]): string {
  const known = [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])];
  const command = argv.find((arg) => !arg.startsWith('-')) ?? '';
  const helpHint = `certfleet ${command === '' ? '' : `${command} `}--help lists them`;
  const commands = [...help.matchAll(/^\s+certfleet ([a-z]+)/gm)].map((m) => m[1] ?? '');
  if (commands.length > 0 && command !== '' && !commands.includes(command)) {
    const nearest = closest(command, commands);
    return `unknown command "${command}"${distance(command, nearest) <= 2 ? ` (did you mean ${nearest}?)` : ''}; certfleet --help lists the commands`;
  }
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (!unknown?.[1]) return `${message.replace(/\s*\n\s*/g, ' ')}; ${helpHint.replace(' lists them', ' says what it takes')}`;
  const parts = unknown[1].split(', ').map((name) => {
    const written = argv.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`) || arg === `-${name}`);
    if (written === undefined) return `unexpected argument "${name}"`;
    const flag = `--${name}`;
    const nearest = known.length > 0 ? closest(flag, known) : undefined;
    // Only a near miss is worth suggesting: a third of the flag's length at most.
    const near = nearest !== undefined && distance(flag, nearest) <= Math.max(2, Math.floor(flag.length / 3));
    return `unknown flag ${flag}${near ? ` (did you mean ${nearest}?)` : ''}`;
  });
  return `${parts.join(', ')}; ${helpHint}`;
}
