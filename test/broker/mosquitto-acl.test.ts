import { describe, expect, it } from 'vitest';
import { mosquittoAcl } from '../../broker/mosquitto/mosquitto-acl.js';
import { deviceTopics, isDeviceRequestTopic } from '../../sim/device-api/topics.js';

/** Whether MQTT topic filter `filter` matches topic `topic` (MQTT 3.1.1 4.7). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

describe('the Mosquitto ACL of the topic policy', () => {
  it('lets a device write exactly the request topics the embedded broker lets it publish, and none of the replies', () => {
    const writable = [...mosquittoAcl('backend').matchAll(/^pattern write (.+)$/gm)].map((m) => (m[1] ?? '').replace('%u', 'device-7'));
    const topics: string[] = Object.values(deviceTopics('device-7'));
    expect(topics.filter((topic) => isDeviceRequestTopic(topic.slice('devices/device-7/'.length))).length).toBeGreaterThanOrEqual(4);
    for (const topic of topics) {
      const request = isDeviceRequestTopic(topic.slice('devices/device-7/'.length));
      expect(writable.some((filter) => matches(filter, topic)), topic).toBe(request);
    }
  });

  it('gives the backend user every topic and devices read access under their own prefix only', () => {
    const acl = mosquittoAcl('certfleet-backend');
    expect(acl).toMatch(/^user certfleet-backend\ntopic readwrite #$/m);
    expect(acl).toMatch(/^pattern read devices\/%u\/#$/m);
    expect(acl.match(/^pattern read /gm)).toHaveLength(1);
  });
});
