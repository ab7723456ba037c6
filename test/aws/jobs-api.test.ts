/**
 * The AWS IoT Jobs MQTT API as certfleet's backend serves it, checked against AWS's documentation
 * (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html, and the data types and ErrorResponse of
 * https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html): topics, payloads and state transitions, over
 * real mutual TLS with mqtt.js devices naming the topics as AWS does.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedBroker } from '../../broker/embedded-broker.js';
import { simTimeUsername } from '../../sim/device-api/messages.js';
import { jobsTopics } from '../../sim/device-api/topics.js';
import { startJobsBroker, type JobsBroker } from '../support/jobs-broker.js';
import { closeDevice, connectedDevice, deviceIdentity, Inbox, publishRaw } from '../support/mqtt-device.js';
import { subackCodes } from '../support/suback-codes.js';
import { DAY } from '../support/time.js';

const T0 = Date.parse('2030-01-15T00:00:00Z');
/** AWS's timestamps: seconds since the epoch. */
const S0 = T0 / 1000;
const ANN = 'device-ann';
const BOB = 'device-bob';
const ann = jobsTopics(ANN);
const bob = jobsTopics(BOB);

let jobs: JobsBroker;
let broker: EmbeddedBroker;
const open: MqttClient[] = [];

/** A device of the tiny scenario whose certificate expires 5 days after T0, subscribed to its jobs topics. */
async function device(clientId: string): Promise<{ client: MqttClient; inbox: Inbox }> {
  const client = await connectedDevice(broker, deviceIdentity(jobs.pki, clientId, { notBefore: T0 - DAY, notAfter: T0 + 5 * DAY }), {
    clientId,
    username: simTimeUsername(T0),
  });
  open.push(client);
  const inbox = new Inbox(client);
  await client.subscribeAsync(`$aws/things/${clientId}/jobs/#`, { qos: 1 });
  return { client, inbox };
}

const send = (client: MqttClient, topic: string, body: unknown) => publishRaw(client, topic, JSON.stringify(body));

beforeAll(async () => {
  jobs = await startJobsBroker({ devices: [ANN, BOB], at: T0 });
  broker = jobs.broker;
});

afterAll(async () => {
  await Promise.all(open.filter((c) => c.connected).map(closeDevice));
  await broker.close();
});

describe('the AWS IoT Jobs MQTT API of the certfleet broker', () => {
  it('answers start-next with nothing pending without an execution, and describing an unknown job with ResourceNotFound', async () => {
    const { client, inbox } = await device('device-cy');
    const cy = jobsTopics('device-cy');
    await send(client, cy.startNext, { clientToken: 'cy-1' });
    expect((await inbox.next([cy.startNextAccepted, cy.startNextRejected]))).toEqual({ topic: cy.startNextAccepted, body: { timestamp: S0, clientToken: 'cy-1' } });
    await send(client, cy.describe('no-such-job'), { clientToken: 'cy-2' });
    const answer = await inbox.next([cy.describeAccepted('no-such-job'), cy.describeRejected('no-such-job')]);
    expect(answer).toEqual({
      topic: cy.describeRejected('no-such-job'),
      body: { code: 'ResourceNotFound', message: expect.any(String), clientToken: 'cy-2', timestamp: S0 },
    });
  });

  it('pushes a job to an online thing as notify-next, acknowledged by its start-next; a thing that has not synced finds its job with start-next', async () => {
    const a = await device(ANN);
    const b = await device(BOB);
    // ann says it is online (its sync request); bob is connected but has not, so the backend holds bob's job.
    await a.client.subscribeAsync(`devices/${ANN}/sync/response`, { qos: 1 });
    await send(a.client, `devices/${ANN}/sync/request`, { t: T0, session: 'ann-1' });
    expect(await a.inbox.next([`devices/${ANN}/sync/response`])).toBeDefined();

    const delivered = broker.startEpoch(T0);
    const notified = await a.inbox.next([ann.notifyNext]);
    const jobId = `rotate-${ANN}-${T0}`;
    expect(notified?.body).toEqual({
      timestamp: S0,
      execution: {
        jobId,
        thingName: ANN,
        jobDocument: { operation: 'rotate-certificate', csrTopic: `devices/${ANN}/rotation/csr`, certificateTopic: `devices/${ANN}/rotation/cert`, certificateIdDetail: 'certificateId' },
        status: 'QUEUED',
        queuedAt: S0,
        lastUpdatedAt: S0,
        versionNumber: 1,
        executionNumber: 1,
      },
    });
    await send(a.client, ann.startNext, { clientToken: 'ann-start', t: T0 + 60_000 });
    const started = await a.inbox.next([ann.startNextAccepted, ann.startNextRejected]);
    expect(started).toEqual({
      topic: ann.startNextAccepted,
      body: expect.objectContaining({ clientToken: 'ann-start', timestamp: S0 + 60, execution: expect.objectContaining({ jobId, status: 'IN_PROGRESS', startedAt: S0 + 60, versionNumber: 2 }) }),
    });
    expect(await delivered).toEqual({ pushed: 1, queued: 1 });

    await send(b.client, bob.getPending, { clientToken: 'bob-get' });
    const summary = { jobId: `rotate-${BOB}-${T0}`, queuedAt: S0, lastUpdatedAt: S0, versionNumber: 1, executionNumber: 1 };
    expect((await b.inbox.next([bob.getPendingAccepted]))?.body).toEqual({ inProgressJobs: [], queuedJobs: [summary], timestamp: S0, clientToken: 'bob-get' });
    await send(b.client, bob.startNext, { clientToken: 'bob-start', t: T0 + 120_000 });
    expect((await b.inbox.next([bob.startNextAccepted]))?.body).toEqual(
      expect.objectContaining({ execution: expect.objectContaining({ jobId: summary.jobId, status: 'IN_PROGRESS', versionNumber: 2 }) }),
    );
    await send(b.client, bob.getPending, { clientToken: 'bob-get-2' });
    expect((await b.inbox.next([bob.getPendingAccepted]))?.body).toEqual(
      expect.objectContaining({ inProgressJobs: [expect.objectContaining({ jobId: summary.jobId, startedAt: S0 + 120 })], queuedJobs: [] }),
    );
  });

  it('applies updates by AWS\'s rules: VersionMismatch, a SUCCEEDED naming a certificate the connection does not use refused, FAILED ending it, then TerminalStateReached', async () => {
    const client = open.find((c) => c.options.clientId === ANN);
    if (!client) throw new Error('device-ann is not connected');
    const inbox = new Inbox(client);
    const jobId = `rotate-${ANN}-${T0}`;
    const answer = () => inbox.next([ann.updateAccepted(jobId), ann.updateRejected(jobId)]);

    await send(client, ann.update(jobId), { status: 'IN_PROGRESS', expectedVersion: 1, clientToken: 'v1' });
    expect(await answer()).toEqual({
      topic: ann.updateRejected(jobId),
      body: { code: 'VersionMismatch', message: expect.any(String), clientToken: 'v1', timestamp: S0, executionState: { status: 'IN_PROGRESS', versionNumber: 2 } },
    });

    await send(client, ann.update(jobId), { status: 'SUCCEEDED', statusDetails: { certificateId: '00ff' }, clientToken: 's1' });
    expect(await answer()).toEqual({
      topic: ann.updateRejected(jobId),
      body: expect.objectContaining({ code: 'InvalidRequest', message: 'the connection does not use the certificate being committed', clientToken: 's1' }),
    });
    expect(jobs.events).toContainEqual({ type: 'broker.job', t: T0, device: ANN, jobId, status: 'rejected' });

    await send(client, ann.update(jobId), { status: 'FAILED', statusDetails: { reason: 'gave-up' }, expectedVersion: 2, includeJobExecutionState: true, clientToken: 'f1' });
    expect(await answer()).toEqual({
      topic: ann.updateAccepted(jobId),
      body: { executionState: { status: 'FAILED', statusDetails: { reason: 'gave-up' }, versionNumber: 3 }, timestamp: S0, clientToken: 'f1' },
    });
    // Nothing is pending any more: notify-next without an execution.
    expect((await inbox.next([ann.notifyNext]))?.body).toEqual({ timestamp: S0 });

    await send(client, ann.update(jobId), { status: 'IN_PROGRESS', clientToken: 'again' });
    expect(await answer()).toEqual({
      topic: ann.updateRejected(jobId),
      body: expect.objectContaining({ code: 'TerminalStateReached', clientToken: 'again', executionState: expect.objectContaining({ status: 'FAILED', versionNumber: 3 }) }),
    });
    await send(client, ann.describe(jobId), { includeJobDocument: false, clientToken: 'd1' });
    const described = await inbox.next([ann.describeAccepted(jobId)]);
    expect(described?.body).toEqual(expect.objectContaining({ clientToken: 'd1', execution: expect.objectContaining({ jobId, status: 'FAILED', versionNumber: 3 }) }));
    expect(described?.body).not.toHaveProperty('execution.jobDocument');
  });

  it('refuses a thing publishing to another thing\'s jobs topics (its connection dropped, the refusal counted) and subscribing to them (SUBACK 0x80)', async () => {
    const { client: mallory } = await device('device-mallory');
    const before = broker.stats().topicDenied;
    expect(await subackCodes(mallory, ann.notifyNext)).toEqual([0x80]);
    expect(await subackCodes(mallory, '$aws/things/+/jobs/notify-next')).toEqual([0x80]);
    const closed = new Promise<void>((resolve) => mallory.once('close', () => resolve()));
    mallory.publish(bob.update(`rotate-${BOB}-${T0}`), JSON.stringify({ status: 'SUCCEEDED', statusDetails: { certificateId: '01' } }), { qos: 1 });
    await closed;
    expect(broker.stats().topicDenied).toBe(before + 3);
    // bob's job is untouched.
    const b = open.find((c) => c.options.clientId === BOB);
    if (!b) throw new Error('device-bob is not connected');
    const inbox = new Inbox(b);
    await send(b, bob.describe(`rotate-${BOB}-${T0}`), { clientToken: 'still' });
    expect((await inbox.next([bob.describeAccepted(`rotate-${BOB}-${T0}`)]))?.body).toEqual(
      expect.objectContaining({ execution: expect.objectContaining({ status: 'IN_PROGRESS', versionNumber: 2 }) }),
    );
  });
});
