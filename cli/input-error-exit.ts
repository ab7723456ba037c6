import { UserInputError } from '../sim/input/user-input-error.js';
import { ScenarioError } from '../sim/scenario/load-scenario.js';
import { EXIT } from './exit-codes.js';

/**
 * The one place bad user input becomes output: one line per problem on stderr, naming the file (or flag) and what
 * was expected, and exit code 2; never a stack trace. Anything else is not the user's input and is thrown on.
 */
export function exitForInputError(error: unknown): number {
  if (!(error instanceof UserInputError)) throw error;
  process.stderr.write(`certfleet: ${error instanceof ScenarioError ? 'invalid scenario ' : ''}${error.message}\n`);
  return EXIT.invalidInput;
}
