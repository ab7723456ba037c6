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
    /**
     * Fleet provisioning, after AWS IoT's MQTT API ($aws/certificates/create-from-csr/json and
     * $aws/provisioning-templates/<name>/provision/json), under the device's own prefix.
     */
    createFromCsr: `${base}/certificates/create-from-csr/json`,
    createFromCsrAccepted: `${base}/certificates/create-from-csr/json/accepted`,
    createFromCsrRejected: `${base}/certificates/create-from-csr/json/rejected`,
    provision: (template: string) => `${base}/provisioning-templates/${template}/provision/json`,
    provisionAccepted: (template: string) => `${base}/provisioning-templates/${template}/provision/json/accepted`,
    provisionRejected: (template: string) => `${base}/provisioning-templates/${template}/provision/json/rejected`,
    /** device -> backend: the job's certificate is in use; the backend deactivates the old one (JobCommit). */
    jobCommit: (jobId: string) => `${base}/jobs/${jobId}/commit`,
    jobCommitAccepted: (jobId: string) => `${base}/jobs/${jobId}/commit/accepted`,
    jobCommitRejected: (jobId: string) => `${base}/jobs/${jobId}/commit/rejected`,
  };
};

/**
 * The topics (after `devices/<id>/`) on which a device sends the backend a request: the only ones it may publish to.
 * The rest of its prefix is the backend's (replies, deliveries), as AWS IoT reserves its `/accepted` and `/rejected`
 * topics for the service.
 */
const DEVICE_REQUEST_TOPIC = /^(rotation\/csr|delivery\/ack|sync\/request|presence\/offline|certificates\/create-from-csr\/json|provisioning-templates\/[^/]+\/provision\/json|jobs\/[^/]+\/commit)$/;

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
  const topics = Object.values(deviceTopics('id')).map((topic) => (typeof topic === 'function' ? topic('+') : topic));
  return [...new Set(topics.map((topic) => topic.slice(prefix.length)).filter(isDeviceRequestTopic))];
}

/** The topics (after `devices/<id>/`) on which the backend answers a device or sends it something: the backend's. */
const BACKEND_REPLY_TOPIC =
  /^(rotation\/cert|delivery|sync\/response|certificates\/create-from-csr\/json\/(accepted|rejected)|provisioning-templates\/[^/+#]+\/provision\/json\/(accepted|rejected)|jobs\/[^/+#]+\/commit\/(accepted|rejected))$/;

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
  // MQTT 3.1.1 4.7.1.3: `+` fills a whole level; here only the device's, and a template name or job id.
  if (levels.some((level) => level !== '+' && level.includes('+'))) return false;
  const rest = levels.slice(2);
  const named = rest[0] === 'provisioning-templates' || rest[0] === 'jobs';
  if (rest.some((level, i) => level === '+' && !(named && i === 1))) return false;
  return isDeviceRequestTopic(rest.map((level) => (level === '+' ? 'any' : level)).join('/'));
}

/** Splits `devices/<id>/<rest>` into its parts; undefined for any other topic. */
export function parseDeviceTopic(topic: string): { deviceId: string; rest: string } | undefined {
  const parts = topic.split('/');
  if (parts.length < 3 || parts[0] !== DEVICE_TOPIC_ROOT || !parts[1]) return undefined;
  return { deviceId: parts[1], rest: parts.slice(2).join('/') };
}
