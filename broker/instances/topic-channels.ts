/**
 * The Redis channel a topic travels on between broker instances, and the channels a topic filter listens to. A
 * device's topics (`devices/<id>/...`) go on the device's own channel, anything else on one shared channel. So a
 * device's subscription (`devices/<id>/#`) is a plain SUBSCRIBE, and the backend's (`devices/+/rotation/csr`) one
 * pattern over all device channels: Redis matches every PUBLISH against every pattern subscription, and 100,000
 * devices each with a pattern of its own would make every message cost 100,000 matches.
 */
const DEVICE_ROOT = 'devices';

/** The channel (below the run's prefix) a message on `topic` is published on. */
export function channelOf(topic: string): string {
  const [root, device] = topic.split('/', 2);
  return root === DEVICE_ROOT && device !== undefined && device !== '' ? `d/${device}` : 'o';
}

/**
 * The channels (mqemitter filters below the run's prefix) whose messages a topic filter may match: one device's,
 * every device's (`d/+`), the shared one, or several.
 */
export function channelsOf(filter: string): string[] {
  const [root, device] = filter.split('/', 2);
  if (root === '#') return ['d/+', 'o'];
  if (root === '+') return device === undefined || device === '+' || device === '#' ? ['d/+', 'o'] : [`d/${device}`, 'o'];
  if (root !== DEVICE_ROOT) return ['o'];
  if (device === undefined) return ['o'];
  if (device === '+' || device === '#') return device === '#' ? ['d/+', 'o'] : ['d/+'];
  return [`d/${device}`];
}
