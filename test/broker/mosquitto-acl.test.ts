import { describe, expect, it } from 'vitest';
import { mosquittoAcl } from '../../broker/mosquitto/mosquitto-acl.js';
import { DEVICE_REQUEST_FILTERS, isDeviceRequestTopic } from '../../sim/device-api/topics.js';

describe('the Mosquitto ACL of the topic policy', () => {
  it('lets a device write exactly the request topics the embedded broker lets it publish', () => {
    for (const filter of DEVICE_REQUEST_FILTERS) expect(isDeviceRequestTopic(filter.replaceAll('+', 'job-1')), filter).toBe(true);
    const writable = [...mosquittoAcl('backend').matchAll(/^pattern write devices\/%u\/(.+)$/gm)].map((m) => m[1]);
    expect(writable).toEqual([...DEVICE_REQUEST_FILTERS]);
    for (const reply of ['rotation/cert', 'delivery', 'sync/response', 'jobs/job-1/commit/accepted']) expect(isDeviceRequestTopic(reply)).toBe(false);
  });

  it('gives the backend user every topic and devices read access under their own prefix only', () => {
    const acl = mosquittoAcl('certfleet-backend');
    expect(acl).toMatch(/^user certfleet-backend\ntopic readwrite #$/m);
    expect(acl).toMatch(/^pattern read devices\/%u\/#$/m);
    expect(acl.match(/^pattern read /gm)).toHaveLength(1);
  });
});
