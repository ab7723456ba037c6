import { describe, expect, it } from 'vitest';
import { topicMatchesFilter } from '../../broker/backend/topic-filter.js';
import { channelOf, channelsOf } from '../../broker/instances/topic-channels.js';

describe('the Redis channels of topics between broker instances', () => {
  it('puts a device topic on its device channel and anything else on the shared one', () => {
    expect(channelOf('devices/device-00001/rotation/csr')).toBe('d/device-00001');
    expect(channelOf('devices/device-00001')).toBe('d/device-00001');
    expect(channelOf('$SYS/abc/new/clients')).toBe('o');
    expect(channelOf('devices')).toBe('o');
  });

  it('listens to one device channel for a device filter and one pattern for a filter over all devices', () => {
    expect(channelsOf('devices/device-00001/#')).toEqual(['d/device-00001']);
    expect(channelsOf('devices/+/rotation/csr')).toEqual(['d/+']);
    expect(channelsOf('$SYS/+/heartbeat')).toEqual(['o']);
    expect(channelsOf('#')).toEqual(['d/+', 'o']);
    expect(channelsOf('devices/#')).toEqual(['d/+', 'o']);
  });

  it('every topic a filter matches travels on a channel the filter listens to', () => {
    const topics = ['devices/a/x', 'devices/a', 'devices/b/x/y', 'devices', '$SYS/1/heartbeat', 'other/a'];
    const filters = ['devices/a/#', 'devices/+/x', 'devices/#', '#', '+/a/x', '+', '$SYS/+/heartbeat', 'devices/+'];
    for (const filter of filters) {
      for (const topic of topics.filter((t) => topicMatchesFilter(filter, t))) {
        const channel = channelOf(topic);
        expect(channelsOf(filter).some((c) => c === channel || (c === 'd/+' && channel.startsWith('d/'))), `${filter} ${topic}`).toBe(true);
      }
    }
  });

  it('matches topics as MQTT 3.1.1 filters do', () => {
    expect(topicMatchesFilter('devices/+/rotation/csr', 'devices/d1/rotation/csr')).toBe(true);
    expect(topicMatchesFilter('devices/+/rotation/csr', 'devices/d1/rotation/csr/reply')).toBe(false);
    expect(topicMatchesFilter('devices/d1/#', 'devices/d1')).toBe(true);
    expect(topicMatchesFilter('devices/d1/#', 'devices/d2/x')).toBe(false);
    // [MQTT-4.7.1-3]: an empty level is a level.
    expect(topicMatchesFilter('a/+/c', 'a//c')).toBe(true);
  });
});
