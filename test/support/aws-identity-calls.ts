/**
 * AWS's fleet-provisioning calls made with the device SDK's own IotIdentityClient, each answered on its /accepted or
 * /rejected topic (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html): subscribe to both,
 * then publish, as AWS says.
 */
import { mqtt, type iotidentity } from 'aws-iot-device-sdk-v2';

/** Every template name is served by certfleet's one template (docs/aws-iot-api.md, RegisterThing). */
export const TEMPLATE = 'certfleet-fleet';
export const QOS = mqtt.QoS.AtLeastOnce;

/** The first message an SDK subscription hands its handler: the response, or the error the SDK reports. */
export function firstResponse<T>(): { handler: (error?: iotidentity.IotIdentityError, response?: T) => void; response: Promise<T> } {
  let handler!: (error?: iotidentity.IotIdentityError, response?: T) => void;
  const response = new Promise<T>((resolve, reject) => {
    handler = (error, body) => (error || body === undefined ? reject(error ?? new Error('empty response')) : resolve(body));
  });
  return { handler, response };
}

/** The accepted response, or a failure carrying the rejected topic's ErrorResponse. */
export function acceptedOrRejected<T>(accepted: Promise<T>, rejected: Promise<iotidentity.model.ErrorResponse>, call: string): Promise<T> {
  return Promise.race([accepted, rejected.then((error) => Promise.reject(new Error(`${call} rejected: ${JSON.stringify(error)}`)))]);
}

/** CreateCertificateFromCsr with a PEM CSR. */
export async function createCertificateFromCsr(identity: iotidentity.IotIdentityClient, csrPem: string): Promise<iotidentity.model.CreateCertificateFromCsrResponse> {
  const accepted = firstResponse<iotidentity.model.CreateCertificateFromCsrResponse>();
  const rejected = firstResponse<iotidentity.model.ErrorResponse>();
  await identity.subscribeToCreateCertificateFromCsrAccepted({}, QOS, accepted.handler);
  await identity.subscribeToCreateCertificateFromCsrRejected({}, QOS, rejected.handler);
  await identity.publishCreateCertificateFromCsr({ certificateSigningRequest: csrPem }, QOS);
  return acceptedOrRejected(accepted.response, rejected.response, 'CreateCertificateFromCsr');
}

/** RegisterThing with the ownership token a create call returned. */
export async function registerThing(identity: iotidentity.IotIdentityClient, token: string): Promise<iotidentity.model.RegisterThingResponse> {
  const accepted = firstResponse<iotidentity.model.RegisterThingResponse>();
  const rejected = firstResponse<iotidentity.model.ErrorResponse>();
  await identity.subscribeToRegisterThingAccepted({ templateName: TEMPLATE }, QOS, accepted.handler);
  await identity.subscribeToRegisterThingRejected({ templateName: TEMPLATE }, QOS, rejected.handler);
  await identity.publishRegisterThing({ templateName: TEMPLATE, certificateOwnershipToken: token, parameters: { SerialNumber: 'sn-1' } }, QOS);
  return acceptedOrRejected(accepted.response, rejected.response, 'RegisterThing');
}
