/** The job store's state rules (AWS IoT Jobs, https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
import { describe, expect, it } from 'vitest';
import { rotationJobDocument } from '../../broker/job-rotation-service.js';
import { JobStore } from '../../broker/jobs/job-store.js';
import { DAY } from '../support/time.js';

const T0 = Date.parse('2030-01-15T00:00:00Z');
const doc = rotationJobDocument('device-a');

describe('the job store', () => {
  it('cancels a queued rotation job and times out one in progress when the rotation is started again', () => {
    const store = new JobStore();
    store.create('device-a', 'job-1', doc, 'u1', T0);
    store.create('device-a', 'job-2', doc, 'u2', T0 + DAY);
    expect(store.describe('device-a', 'job-1')).toEqual(expect.objectContaining({ status: 'CANCELED', versionNumber: 2, lastUpdatedAt: (T0 + DAY) / 1000 }));
    expect(store.describe('device-a', 'job-1')).not.toHaveProperty('startedAt');
    expect(store.startNext('device-a', {}, T0 + DAY)?.jobId).toBe('job-2');
    store.create('device-a', 'job-3', doc, 'u3', T0 + 2 * DAY);
    expect(store.describe('device-a', 'job-2')).toEqual(expect.objectContaining({ status: 'TIMED_OUT' }));
    expect(store.pending('device-a')).toEqual({ inProgressJobs: [], queuedJobs: [expect.objectContaining({ jobId: 'job-3' })] });
  });

  it('starts the oldest queued execution once, tells who listens, and hands back the one in progress after that', () => {
    const store = new JobStore();
    const started: string[] = [];
    store.onStarted((thing, execution) => started.push(`${thing}:${execution.updateId}`));
    store.create('device-a', 'job-1', doc, 'u1', T0);
    expect(store.startNext('device-a', { statusDetails: { step: 'csr' } }, T0 + 1000)).toEqual(
      expect.objectContaining({ status: 'IN_PROGRESS', startedAt: T0 / 1000 + 1, statusDetails: { step: 'csr' }, versionNumber: 2 }),
    );
    expect(store.startNext('device-a', {}, T0 + 2000)).toEqual(expect.objectContaining({ jobId: 'job-1', versionNumber: 2 }));
    expect(started).toEqual(['device-a:u1']);
    expect(store.startNext('device-b', {}, T0)).toBeUndefined();
  });

  it('refuses an update its check refuses, leaving the execution as it was', () => {
    const store = new JobStore();
    store.create('device-a', 'job-1', doc, 'u1', T0);
    const result = store.update('device-a', 'job-1', { status: 'SUCCEEDED' }, T0, () => 'not that certificate');
    expect(result).toEqual({ ok: false, code: 'InvalidRequest', message: 'not that certificate', executionState: { status: 'QUEUED', versionNumber: 1 } });
    expect(store.update('device-a', 'job-1', { status: 'SUCCEEDED', executionNumber: 2 }, T0)).toEqual(expect.objectContaining({ ok: false, code: 'ResourceNotFound' }));
    expect(store.update('device-a', 'job-1', { status: 'SUCCEEDED' }, T0 + 1000)).toEqual(expect.objectContaining({ ok: true, execution: expect.objectContaining({ status: 'SUCCEEDED', startedAt: T0 / 1000 + 1 }) }));
  });
});
