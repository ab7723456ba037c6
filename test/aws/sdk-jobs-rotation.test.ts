/**
 * A device agent written against AWS's documentation, on AWS's own device SDK (aws-iot-device-sdk-v2: its MQTT 3.1.1
 * connection from AwsIotMqttConnectionConfigBuilder.new_mtls_builder and its IotJobsClient), runs a certfleet rotation
 * job against the embedded broker unchanged but for the endpoint and the CA file. The SDK's TLS (aws-crt) judges the
 * broker's chain at the host's clock and claims no time, so the scenario's certificates surround the real present.
 */
import { X509Certificate } from 'node:crypto';
import { iot, iotjobs, mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationJobDocument } from '../../sim/device-api/jobs-messages.js';
import type { RotationResponse } from '../../sim/device-api/messages.js';
import { createCsr, generateKeyPair } from '../../sim/pki/index.js';
import { presentScenarioText, startJobsBroker, type JobsBroker } from '../support/jobs-broker.js';
import { keyPem } from '../support/localhost-server.js';
import { deviceIdentity } from '../support/mqtt-device.js';
import { DAY } from '../support/time.js';

const THING = 'device-sdk';
/** The real present, to the second: the SDK checks the broker's certificate at the host's clock. */
const NOW = Math.floor(Date.now() / 1000) * 1000;

let jobs: JobsBroker;
const connections: mqtt.MqttClientConnection[] = [];

beforeAll(async () => {
  jobs = await startJobsBroker({ devices: [THING], at: NOW, scenarioText: presentScenarioText(NOW) });
});

afterAll(async () => {
  // disconnect() frees the connection's native resources; the SDK then lets the process exit.
  await Promise.all(connections.map((c) => c.disconnect().catch(() => undefined)));
  await jobs.broker.close();
});

/** An SDK connection as AWS's samples build one, to the certfleet broker: its port, and its root as the CA file. */
async function sdkConnect(identity: { cert: string; key: string }): Promise<mqtt.MqttClientConnection> {
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(identity.cert, identity.key)
    .with_certificate_authority(jobs.pki.certificates['server-root'] ?? '')
    // A name the broker's server certificate carries (an IP SAN of the scenario's default hosts).
    .with_endpoint('127.0.0.1')
    .with_port(jobs.broker.port)
    .with_client_id(THING)
    .with_clean_session(true)
    .build();
  const connection = new mqtt.MqttClient().new_connection(config);
  connections.push(connection);
  await connection.connect();
  return connection;
}

/** The first message a handler is called with, as a promise (the SDK's subscriptions take callbacks). */
function first<T>(): { promise: Promise<T>; handler: (error: unknown, response?: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, handler: (error, response) => (error ? reject(error) : response !== undefined && resolve(response)) };
}

describe('a rotation job run by AWS\'s device SDK against the certfleet broker', () => {
  it('starts the job with start-next, renews by CSR on the job document\'s topic, reconnects and reports SUCCEEDED; the old certificate is then refused', async () => {
    const AtLeastOnce = mqtt.QoS.AtLeastOnce;
    const factory = deviceIdentity(jobs.pki, THING, { notBefore: NOW - DAY, notAfter: NOW + 5 * DAY });
    const first1 = await sdkConnect(factory);
    const client1 = new iotjobs.IotJobsClient(first1);

    // The backend finds the certificate within 10 days of expiry and queues a job; the SDK client has not said it is
    // online (certfleet's sync), so it finds the job itself.
    expect(await jobs.broker.startEpoch(NOW)).toEqual({ pushed: 0, queued: 1 });
    const started = first<iotjobs.model.StartNextJobExecutionResponse>();
    await client1.subscribeToStartNextPendingJobExecutionAccepted({ thingName: THING }, AtLeastOnce, started.handler);
    await client1.subscribeToStartNextPendingJobExecutionRejected({ thingName: THING }, AtLeastOnce, (error, response) => started.handler(error ?? new Error(JSON.stringify(response))));
    await client1.publishStartNextPendingJobExecution({ thingName: THING, clientToken: 'sdk-start' }, AtLeastOnce);
    const execution = (await started.promise).execution;
    expect(execution).toEqual(expect.objectContaining({ thingName: THING, status: 'IN_PROGRESS', versionNumber: 2, executionNumber: 1 }));
    const jobId = execution?.jobId ?? '';
    const document = execution?.jobDocument as unknown as RotationJobDocument;
    expect(document.operation).toBe('rotate-certificate');

    // Renew by CSR on the job document's topics, through the SDK's connection.
    const keys = generateKeyPair('ec-p256');
    const csr = createCsr({ subject: { CN: THING }, keyPair: keys }).toString('base64');
    let answered: (reply: RotationResponse) => void = () => undefined;
    const issued = new Promise<RotationResponse>((resolve) => (answered = resolve));
    // The SUBACK comes before the CSR goes out, so the answer cannot be missed.
    await first1.subscribe(document.certificateTopic, AtLeastOnce, (_topic, payload) => answered(JSON.parse(Buffer.from(payload).toString('utf8')) as RotationResponse));
    await first1.publish(document.csrTopic, JSON.stringify({ requestId: 'sdk-csr', t: NOW, csr }), AtLeastOnce);
    const reply = await issued;
    if (!reply.ok) throw new Error(`the CSR was refused: ${JSON.stringify(reply)}`);
    await first1.disconnect();

    // Reconnect with the new certificate and report SUCCEEDED, naming it, through the SDK's jobs client.
    const renewed = { cert: reply.certificate + reply.chain.join(''), key: keyPem(keys) };
    const second = await sdkConnect(renewed);
    const client2 = new iotjobs.IotJobsClient(second);
    const updated = first<iotjobs.model.UpdateJobExecutionResponse>();
    await client2.subscribeToUpdateJobExecutionAccepted({ thingName: THING, jobId }, AtLeastOnce, updated.handler);
    await client2.subscribeToUpdateJobExecutionRejected({ thingName: THING, jobId }, AtLeastOnce, (error, response) => updated.handler(error ?? new Error(JSON.stringify(response))));
    const nothingPending = first<iotjobs.model.NextJobExecutionChangedEvent>();
    await client2.subscribeToNextJobExecutionChangedEvents({ thingName: THING }, AtLeastOnce, nothingPending.handler);
    const serial = new X509Certificate(reply.certificate).serialNumber;
    await client2.publishUpdateJobExecution(
      { thingName: THING, jobId, status: iotjobs.model.JobStatus.SUCCEEDED, statusDetails: { certificateId: serial }, includeJobExecutionState: true, clientToken: 'sdk-done' },
      AtLeastOnce,
    );
    expect(await updated.promise).toEqual(expect.objectContaining({ clientToken: 'sdk-done', executionState: expect.objectContaining({ status: 'SUCCEEDED', versionNumber: 3 }) }));
    expect((await nothingPending.promise).execution).toBeUndefined();
    expect(jobs.events).toContainEqual(expect.objectContaining({ type: 'broker.job', device: THING, jobId, status: 'succeeded' }));
    await second.disconnect();

    // The old certificate was deactivated with the job's success.
    const refusedBefore = jobs.broker.stats().refused.certificate_inactive ?? 0;
    await expect(sdkConnect(factory)).rejects.toThrow();
    expect(jobs.broker.stats().refused.certificate_inactive).toBe(refusedBefore + 1);
  }, 60_000);
});
