import { z } from 'zod';

/**
 * The payloads of the AWS IoT Jobs MQTT API (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html)
 * with AWS's field names; the data types are those of https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html
 * (JobExecution, JobExecutionState, JobExecutionSummary, ErrorResponse). Times are AWS's: seconds since the Unix
 * epoch; certfleet's simulated times have milliseconds, kept as the fraction.
 *
 * Requests are exactly AWS's fields, plus an optional `t` a certfleet device adds (its true time of the request, as on
 * every certfleet request); a request without `t` is served at the broker's clock.
 */

/** JobExecutionStatus (https://docs.aws.amazon.com/iot/latest/apireference/API_iot-jobs-data_JobExecution.html). */
export const JOB_EXECUTION_STATUSES = ['QUEUED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED'] as const;
export type JobExecutionStatus = (typeof JOB_EXECUTION_STATUSES)[number];

/** The statuses after which an execution never changes (jobs-api.html, UpdateJobExecution: TerminalStateReached). */
export const TERMINAL_STATUSES: ReadonlySet<JobExecutionStatus> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED']);

/** The statuses a device may set with UpdateJobExecution (API_iot-jobs-data_UpdateJobExecution.html, `status`). */
const DEVICE_SETTABLE_STATUSES = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'] as const;

/** statusDetails: a string to string map, keys [a-zA-Z0-9:_-]{1,128}, values of at most 1,024 characters. */
const statusDetailsSchema = z.record(z.string().regex(/^[a-zA-Z0-9:_-]{1,128}$/, 'expected a key of [a-zA-Z0-9:_-], 1 to 128 characters'), z.string().min(1).max(1024));
export type StatusDetails = z.infer<typeof statusDetailsSchema>;

/** clientToken: at most 64 characters (jobs-api.html, "clientToken"); echoed in the answer. */
const clientTokenSchema = z.string().min(1).max(64);

/** ECMA-262 21.4.1.1: a time value a Date can hold. */
const trueTime = z.number().min(-8.64e15).max(8.64e15);

/** A jobId: [a-zA-Z0-9_-]{1,64}, or `$next` where DescribeJobExecution allows it. */
export const JOB_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** StartNextPendingJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
export const startNextRequestSchema = z.object({
  statusDetails: statusDetailsSchema.optional(),
  stepTimeoutInMinutes: z.number().int().min(1).max(10_080).optional(),
  clientToken: clientTokenSchema.optional(),
  t: trueTime.optional(),
});
export type StartNextRequest = z.infer<typeof startNextRequestSchema>;

/** GetPendingJobExecutions (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
export const getPendingRequestSchema = z.object({ clientToken: clientTokenSchema.optional(), t: trueTime.optional() });
export type GetPendingRequest = z.infer<typeof getPendingRequestSchema>;

/** DescribeJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
export const describeRequestSchema = z.object({
  jobId: z.string().optional(),
  thingName: z.string().optional(),
  executionNumber: z.number().int().min(1).optional(),
  includeJobDocument: z.boolean().optional(),
  clientToken: clientTokenSchema.optional(),
  t: trueTime.optional(),
});
export type DescribeRequest = z.infer<typeof describeRequestSchema>;

/** UpdateJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
export const updateRequestSchema = z.object({
  status: z.enum(DEVICE_SETTABLE_STATUSES),
  statusDetails: statusDetailsSchema.optional(),
  expectedVersion: z.number().int().min(1).optional(),
  executionNumber: z.number().int().min(1).optional(),
  includeJobExecutionState: z.boolean().optional(),
  includeJobDocument: z.boolean().optional(),
  stepTimeoutInMinutes: z.number().int().min(1).max(10_080).optional(),
  clientToken: clientTokenSchema.optional(),
  t: trueTime.optional(),
});
export type UpdateRequest = z.infer<typeof updateRequestSchema>;

/** JobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html). */
export interface JobExecution {
  jobId: string;
  thingName: string;
  /** Left out where a request said `includeJobDocument: false`. */
  jobDocument?: RotationJobDocument | undefined;
  status: JobExecutionStatus;
  statusDetails?: StatusDetails | undefined;
  queuedAt: number;
  startedAt?: number | undefined;
  lastUpdatedAt: number;
  versionNumber: number;
  executionNumber: number;
}

/** JobExecutionState (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html). */
export interface JobExecutionState {
  status: JobExecutionStatus;
  statusDetails?: StatusDetails | undefined;
  versionNumber: number;
}

/** JobExecutionSummary (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html). */
export interface JobExecutionSummary {
  jobId: string;
  queuedAt: number;
  startedAt?: number | undefined;
  lastUpdatedAt: number;
  versionNumber: number;
  executionNumber: number;
}

/** `$aws/things/<thing>/jobs/notify-next` (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html): no `execution` when none is pending. */
export interface NextJobExecutionChanged {
  execution?: JobExecution | undefined;
  timestamp: number;
}

export interface StartNextAccepted {
  execution?: JobExecution | undefined;
  timestamp: number;
  clientToken?: string | undefined;
}

export interface GetPendingAccepted {
  inProgressJobs: JobExecutionSummary[];
  queuedJobs: JobExecutionSummary[];
  timestamp: number;
  clientToken?: string | undefined;
}

export interface DescribeAccepted {
  execution: JobExecution;
  timestamp: number;
  clientToken?: string | undefined;
}

export interface UpdateAccepted {
  executionState?: JobExecutionState | undefined;
  jobDocument?: RotationJobDocument | undefined;
  timestamp: number;
  clientToken?: string | undefined;
}

/** ErrorResponse's codes (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html). */
export type JobsErrorCode =
  | 'InvalidTopic'
  | 'InvalidJson'
  | 'InvalidRequest'
  | 'InvalidStateTransition'
  | 'ResourceNotFound'
  | 'VersionMismatch'
  | 'InternalError'
  | 'RequestThrottled'
  | 'TerminalStateReached';

/** ErrorResponse, on every `/rejected` topic of the Jobs API (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html). */
export interface JobsRejected {
  code: JobsErrorCode;
  message: string;
  clientToken?: string | undefined;
  timestamp: number;
  /** With InvalidStateTransition, TerminalStateReached and VersionMismatch: where the execution is. */
  executionState?: JobExecutionState | undefined;
}

/**
 * The job document of a certfleet rotation job. A job document is the team's in AWS IoT (any JSON); certfleet's says
 * what to do and where: renew by CSR on the device's CSR topic (the "custom certificate topics" of AWS's rotation
 * guidance, https://aws.amazon.com/blogs/iot/how-to-manage-iot-device-certificate-rotation-using-aws-iot/), reconnect
 * with the new certificate, and report SUCCEEDED with `statusDetails.certificateId` = its serial.
 */
export interface RotationJobDocument {
  operation: 'rotate-certificate';
  /** Where to publish the CSR: `{csr, requestId?, t?}` with the PKCS#10 CSR in PEM or base64 DER (RotationRequest). */
  csrTopic: string;
  /** Where the certificate or the refusal comes (RotationResponse). */
  certificateTopic: string;
  /** The statusDetails key that names the new certificate when reporting SUCCEEDED (its serial, hex). */
  certificateIdDetail: 'certificateId';
}

/** AWS timestamps: seconds since the Unix epoch (ms kept as the fraction). */
export function awsSeconds(t: number): number {
  return t / 1000;
}

/** An AWS timestamp back to ms (exact for every ms time certfleet writes). */
export function fromAwsSeconds(seconds: number): number {
  return Math.round(seconds * 1000);
}
