import { UserInputError } from '../input/user-input-error.js';

/** A scenario file that cannot be used, with every problem found in it. */
export class ScenarioError extends UserInputError {
  constructor(file: string, problems: readonly string[]) {
    super(file, problems, `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}
