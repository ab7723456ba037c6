/**
 * The MQTT contract between a device and the backend (broker, CA, fleet manager). Every topic of device X lives
 * under `devices/X/`, and the broker lets a client publish and subscribe only under its own id.
 */
export const DEVICE_TOPIC_ROOT = 'devices';

export const deviceTopics = (deviceId: string) => {
  const base = `${DEVICE_TOPIC_ROOT}/${deviceId}`;
  return {
    /** Everything the backend sends this device. */
    subscription: `${base}/#`,
    /** device -> CA: a CSR for a new certificate (RotationRequest). */
    csr: `${base}/rotation/csr`,
    /** CA -> device: the certificate, or why not (RotationResponse). */
    certificate: `${base}/rotation/cert`,
    /** backend -> device: a trust-bundle update or a certificate payload (DeliveryMessage). */
    delivery: `${base}/delivery`,
    /** device -> backend: a delivery was received (DeliveryAck). */
    deliveryAck: `${base}/delivery/ack`,
    /** device -> backend, right after connecting: send me what was queued while I was away (SyncRequest). */
    syncRequest: `${base}/sync/request`,
    /** backend -> device: the queued deliveries (SyncResponse). */
    syncResponse: `${base}/sync/response`,
    /**
     * device -> backend: this session goes offline (OfflineNotice), published before DISCONNECT and set as the
     * session's MQTT Will for a drop without one ([MQTT-3.1.2-8]): presence as any MQTT broker lets a client tell it.
     */
    offline: `${base}/presence/offline`,
  };
};

/**
 * The topics (after `devices/<id>/`) on which a device sends the backend a request: the only ones it may publish to.
 * The rest of its prefix is the backend's (replies, deliveries), as AWS IoT reserves its `/accepted` and `/rejected`
 * topics for the service.
 */
const DEVICE_REQUEST_TOPIC =
  /^(rotation\/csr|delivery\/ack|sync\/request|presence\/offline|\$aws\/things\/[^/]+\/jobs\/(start-next|get|[^/]+\/get|[^/]+\/update)|\$aws\/certificates\/create-from-csr\/json|\$aws\/certificates\/create\/json|\$aws\/provisioning-templates\/[^/]+\/provision\/json)$/;

export function isDeviceRequestTopic(rest: string): boolean {
  return DEVICE_REQUEST_TOPIC.test(rest);
}

/**
 * The device request topics as MQTT topic filters after `devices/<id>/`, `+` for a template name or job id: for
 * brokers configured with an ACL file (Mosquitto's `pattern write devices/%u/<filter>`). Derived from deviceTopics
 * and isDeviceRequestTopic, so a request topic added there is in it too.
 */
export function deviceRequestFilters(): string[] {
  const prefix = `${DEVICE_TOPIC_ROOT}/id/`;
  const topics: string[] = Object.values(deviceTopics('id'));
  return [...new Set(topics.map((topic) => topic.slice(prefix.length)).filter(isDeviceRequestTopic))];
}

/** The topics (after `devices/<id>/`) on which the backend answers a device or sends it something: the backend's. */
const BACKEND_REPLY_TOPIC =
  /^(rotation\/cert|delivery|sync\/response|\$aws\/things\/[^/+#]+\/jobs\/(notify-next|(start-next|get|[^/+#]+\/get|[^/+#]+\/update)\/(accepted|rejected))|\$aws\/certificates\/create-from-csr\/json\/(accepted|rejected)|\$aws\/certificates\/create\/json\/(accepted|rejected)|\$aws\/provisioning-templates\/[^/+#]+\/provision\/json\/(accepted|rejected))$/;

export function isBackendReplyTopic(rest: string): boolean {
  return BACKEND_REPLY_TOPIC.test(rest);
}

/**
 * A filter on device requests, `devices/<id or +>/<request topic>` where the request topic's own variable levels
 * (a template name, a job id) may be `+`: what the backend subscribes to. No `#`, nothing outside the requests.
 */
export function isDeviceRequestFilter(filter: string): boolean {
  const levels = filter.split('/');
  if (filter.includes('#') || levels.length < 3 || levels[0] !== DEVICE_TOPIC_ROOT || !levels[1]) return false;
  // MQTT 3.1.1 4.7.1.3: `+` fills a whole level. A `+` standing for a literal level of a request topic makes the
  // topic fail the request pattern, so only the device's level and a request's own variable levels may be `+`.
  if (levels.some((level) => level !== '+' && level.includes('+'))) return false;
  return isDeviceRequestTopic(levels.slice(2).map((level) => (level === '+' ? 'any' : level)).join('/'));
}

/** Splits `devices/<id>/<rest>` into its parts; undefined for any other topic. */
export function parseDeviceTopic(topic: string): { deviceId: string; rest: string } | undefined {
  const parts = topic.split('/');
  if (parts.length < 3 || parts[0] !== DEVICE_TOPIC_ROOT || !parts[1]) return undefined;
  return { deviceId: parts[1], rest: parts.slice(2).join('/') };
}

/**
 * AWS IoT's reserved topics (https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html). A device
 * names them as AWS documents them; the certfleet broker keeps client X's `$aws/...` topics under X's own prefix,
 * `devices/X/$aws/...` (a per-client mount point, as EMQX's `mountpoint = "devices/${clientid}/"`), so the answer
 * to a request reaches only the client that asked, as AWS IoT routes it, and the backend, an MQTT client, subscribes
 * to `devices/+/$aws/...`.
 */
export const AWS_RESERVED_PREFIX = '$aws/';

/**
 * Fleet provisioning's MQTT API as a device names it
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html).
 */
export const fleetProvisioningTopics = {
  /** CreateCertificateFromCsr. */
  createFromCsr: '$aws/certificates/create-from-csr/json',
  createFromCsrAccepted: '$aws/certificates/create-from-csr/json/accepted',
  createFromCsrRejected: '$aws/certificates/create-from-csr/json/rejected',
  /** CreateKeysAndCertificate. */
  createKeysAndCertificate: '$aws/certificates/create/json',
  createKeysAndCertificateAccepted: '$aws/certificates/create/json/accepted',
  createKeysAndCertificateRejected: '$aws/certificates/create/json/rejected',
  /** RegisterThing, through a provisioning template. */
  provision: (template: string) => `$aws/provisioning-templates/${template}/provision/json`,
  provisionAccepted: (template: string) => `$aws/provisioning-templates/${template}/provision/json/accepted`,
  provisionRejected: (template: string) => `$aws/provisioning-templates/${template}/provision/json/rejected`,
} as const;

/** Client X's `$aws/<rest>` as the broker keeps it: `devices/X/$aws/<rest>`. */
export function mountAwsTopic(clientId: string, topic: string): string {
  return `${DEVICE_TOPIC_ROOT}/${clientId}/${topic}`;
}

/** `devices/X/$aws/<rest>` as client X names it (`$aws/<rest>`); undefined for any other topic. */
export function unmountAwsTopic(clientId: string, topic: string): string | undefined {
  const mount = `${DEVICE_TOPIC_ROOT}/${clientId}/`;
  return topic.startsWith(mount + AWS_RESERVED_PREFIX) ? topic.slice(mount.length) : undefined;
}

/**
 * The AWS IoT Jobs MQTT API as a thing names it (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html);
 * the thing name is the device's client id. Mounted like every `$aws/...` topic, so the backend serves
 * `devices/+/$aws/things/+/jobs/...`.
 */
export const jobsTopics = (thingName: string) => {
  const base = `$aws/things/${thingName}/jobs`;
  return {
    /** NextJobExecutionChanged, to the thing (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
    notifyNext: `${base}/notify-next`,
    /** StartNextPendingJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
    startNext: `${base}/start-next`,
    startNextAccepted: `${base}/start-next/accepted`,
    startNextRejected: `${base}/start-next/rejected`,
    /** GetPendingJobExecutions (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
    getPending: `${base}/get`,
    getPendingAccepted: `${base}/get/accepted`,
    getPendingRejected: `${base}/get/rejected`,
    /** DescribeJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
    describe: (jobId: string) => `${base}/${jobId}/get`,
    describeAccepted: (jobId: string) => `${base}/${jobId}/get/accepted`,
    describeRejected: (jobId: string) => `${base}/${jobId}/get/rejected`,
    /** UpdateJobExecution (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html). */
    update: (jobId: string) => `${base}/${jobId}/update`,
    updateAccepted: (jobId: string) => `${base}/${jobId}/update/accepted`,
    updateRejected: (jobId: string) => `${base}/${jobId}/update/rejected`,
  };
};

/**
 * Whether a topic or filter of client X (as X names it, or mounted under `devices/X/`) is another thing's Jobs topic:
 * AWS IoT's policies confine a thing to `$aws/things/${iot:Connection.Thing.ThingName}/jobs/*`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html); the thing name is the client id.
 */
export function namesAnotherThing(clientId: string, topic: string): boolean {
  const rest = topic.startsWith(`${DEVICE_TOPIC_ROOT}/${clientId}/`) ? topic.slice(`${DEVICE_TOPIC_ROOT}/${clientId}/`.length) : topic;
  const levels = rest.split('/');
  return levels[0] === '$aws' && levels[1] === 'things' && levels[2] !== clientId;
}
