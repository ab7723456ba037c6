/**
 * Input a user gave certfleet that cannot be used: a scenario, a flag, a policy module, a PEM bundle or a run
 * folder. The one error type the command line turns into exit code 2 and one line per problem, never a stack trace.
 * Each kind of input has its own subclass for its own message; all of them name the file (or flag) and every problem.
 */
export class UserInputError extends Error {
  /** The file (or flag) the problems are in. */
  readonly file: string;
  /** One line each: where (a line, a field) and what was expected. */
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[], message = describeProblems(file, problems)) {
    super(message);
    this.name = 'UserInputError';
    this.file = file;
    this.problems = problems;
  }
}

/** "file: problem", or "file: N problems" and one indented line per problem. */
export function describeProblems(file: string, problems: readonly string[]): string {
  if (problems.length === 1) return `${file}: ${problems[0] ?? ''}`;
  return `${file}: ${problems.length} problems\n${problems.map((p) => `  ${p}`).join('\n')}`;
}
