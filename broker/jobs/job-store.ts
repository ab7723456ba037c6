import {
  awsSeconds,
  TERMINAL_STATUSES,
  type JobExecution,
  type JobExecutionState,
  type JobExecutionSummary,
  type JobsErrorCode,
  type RotationJobDocument,
  type StartNextRequest,
  type UpdateRequest,
} from '../../sim/device-api/jobs-messages.js';

/** An execution as the backend keeps it: AWS's JobExecution, and the delivery it travels as (its acknowledgement). */
export interface StoredExecution extends JobExecution {
  updateId: string;
}

export type JobsRefusal = { code: JobsErrorCode; message: string; executionState?: JobExecutionState | undefined };

export type UpdateResult = { ok: true; execution: StoredExecution; previous: JobExecutionState } | ({ ok: false } & JobsRefusal);

/**
 * The job executions of every thing, with AWS IoT Jobs' state rules
 * (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html and the data types of
 * https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html): an execution is QUEUED when created,
 * IN_PROGRESS once a device starts it (StartNextPendingJobExecution, or UpdateJobExecution), and then terminal; its
 * `versionNumber` counts its changes. Times are true times in ms; the payloads carry them as AWS's seconds.
 */
export class JobStore {
  readonly #things = new Map<string, StoredExecution[]>();
  readonly #started = new Set<(thingName: string, execution: StoredExecution) => void>();

  /** Told of every execution a device starts: the acknowledgement of the notify-next that carried it. */
  onStarted(listener: (thingName: string, execution: StoredExecution) => void): void {
    this.#started.add(listener);
  }

  /**
   * Queues a new execution at t. A rotation started again (broker/renewal-orchestrator.ts) supersedes the earlier one:
   * an execution still QUEUED is CANCELED (AWS CancelJobExecution), one IN_PROGRESS is TIMED_OUT (the job's
   * in-progress timeout is the orchestrator's retry interval), so a thing has at most one pending rotation.
   */
  create(thingName: string, jobId: string, jobDocument: RotationJobDocument, updateId: string, t: number): StoredExecution {
    const executions = this.#things.get(thingName) ?? [];
    for (const earlier of executions) {
      if (earlier.status === 'QUEUED') this.#set(earlier, 'CANCELED', t);
      else if (earlier.status === 'IN_PROGRESS') this.#set(earlier, 'TIMED_OUT', t);
    }
    const at = awsSeconds(t);
    const execution: StoredExecution = {
      jobId,
      thingName,
      jobDocument,
      status: 'QUEUED',
      queuedAt: at,
      lastUpdatedAt: at,
      versionNumber: 1,
      executionNumber: 1,
      updateId,
    };
    executions.push(execution);
    this.#things.set(thingName, executions);
    return execution;
  }

  /** The next pending execution: the oldest IN_PROGRESS one, else the oldest QUEUED one (StartNextPendingJobExecution). */
  next(thingName: string): StoredExecution | undefined {
    const executions = this.#things.get(thingName) ?? [];
    return executions.find((e) => e.status === 'IN_PROGRESS') ?? executions.find((e) => e.status === 'QUEUED');
  }

  /** StartNextPendingJobExecution at t: the next pending execution, started if it was QUEUED; none when nothing is pending. */
  startNext(thingName: string, request: StartNextRequest, t: number): StoredExecution | undefined {
    const execution = this.next(thingName);
    if (!execution) return undefined;
    if (execution.status === 'QUEUED') {
      this.#set(execution, 'IN_PROGRESS', t, request.statusDetails);
      for (const listener of this.#started) listener(thingName, execution);
    } else if (request.statusDetails) {
      // "If not specified, the statusDetails are unchanged" (API_iot-jobs-data_StartNextPendingJobExecution.html).
      this.#set(execution, execution.status, t, request.statusDetails);
    }
    return execution;
  }

  /** GetPendingJobExecutions: summaries of the IN_PROGRESS and the QUEUED executions, oldest first. */
  pending(thingName: string): { inProgressJobs: JobExecutionSummary[]; queuedJobs: JobExecutionSummary[] } {
    const executions = this.#things.get(thingName) ?? [];
    return {
      inProgressJobs: executions.filter((e) => e.status === 'IN_PROGRESS').map(summary),
      queuedJobs: executions.filter((e) => e.status === 'QUEUED').map(summary),
    };
  }

  /** DescribeJobExecution: a job of this thing by id, or `$next` for its next pending one. */
  describe(thingName: string, jobId: string, executionNumber?: number): StoredExecution | JobsRefusal {
    const execution = jobId === '$next' ? this.next(thingName) : this.#find(thingName, jobId);
    if (!execution || (executionNumber !== undefined && executionNumber !== execution.executionNumber)) {
      return { code: 'ResourceNotFound', message: `no execution of job ${jobId} for thing ${thingName}` };
    }
    return execution;
  }

  /**
   * UpdateJobExecution at t. `accept` decides a change the service must check first (a rotation's SUCCEEDED: the
   * connection uses the new certificate); it returns a refusal message, or undefined to go ahead.
   */
  update(thingName: string, jobId: string, request: UpdateRequest, t: number, accept?: (execution: StoredExecution) => string | undefined): UpdateResult {
    const execution = this.#find(thingName, jobId);
    if (!execution || (request.executionNumber !== undefined && request.executionNumber !== execution.executionNumber)) {
      return { ok: false, code: 'ResourceNotFound', message: `no execution of job ${jobId} for thing ${thingName}` };
    }
    const previous = stateOf(execution);
    if (TERMINAL_STATUSES.has(execution.status)) {
      return { ok: false, code: 'TerminalStateReached', message: `job ${jobId} is ${execution.status} already`, executionState: previous };
    }
    // expectedVersion: "the update fails with a VersionMismatch error" when it is not the current version.
    if (request.expectedVersion !== undefined && request.expectedVersion !== execution.versionNumber) {
      return {
        ok: false,
        code: 'VersionMismatch',
        message: `expected version ${request.expectedVersion}, the execution is at version ${execution.versionNumber}`,
        executionState: previous,
      };
    }
    const refused = accept?.(execution);
    if (refused !== undefined) return { ok: false, code: 'InvalidRequest', message: refused, executionState: previous };
    const wasQueued = execution.status === 'QUEUED';
    this.#set(execution, request.status, t, request.statusDetails);
    if (wasQueued) for (const listener of this.#started) listener(thingName, execution);
    return { ok: true, execution, previous };
  }

  #find(thingName: string, jobId: string): StoredExecution | undefined {
    return (this.#things.get(thingName) ?? []).find((e) => e.jobId === jobId);
  }

  #set(execution: StoredExecution, status: StoredExecution['status'], t: number, statusDetails?: StoredExecution['statusDetails']): void {
    const at = awsSeconds(t);
    if (execution.status === 'QUEUED' && status !== 'CANCELED') execution.startedAt ??= at;
    execution.status = status;
    if (statusDetails) execution.statusDetails = statusDetails;
    execution.lastUpdatedAt = at;
    execution.versionNumber += 1;
  }
}

/** JobExecutionState. */
export function stateOf(execution: JobExecution): JobExecutionState {
  return { status: execution.status, statusDetails: execution.statusDetails, versionNumber: execution.versionNumber };
}

/** The execution as AWS sends it (without the backend's own fields). */
export function executionOf(execution: StoredExecution, includeJobDocument = true): JobExecution {
  const { updateId: _updateId, jobDocument, ...rest } = execution;
  return includeJobDocument ? { ...rest, jobDocument } : rest;
}

function summary(execution: JobExecution): JobExecutionSummary {
  const { jobId, queuedAt, startedAt, lastUpdatedAt, versionNumber, executionNumber } = execution;
  return { jobId, queuedAt, startedAt, lastUpdatedAt, versionNumber, executionNumber };
}
