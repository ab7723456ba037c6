/** Exit codes of the certfleet command, documented in the README. */
export const EXIT = {
  ok: 0,
  /** The run itself failed (a broker or worker error); the run folder still has a partial summary. */
  runFailed: 1,
  /** A bad scenario file or command line: nothing was run. */
  invalidInput: 2,
  /** The run completed and at least one threshold failed (a QA pipeline gates on this). */
  thresholdFailed: 3,
  /** Stopped by Ctrl-C; the run folder has a partial summary. */
  interrupted: 130,
} as const;
