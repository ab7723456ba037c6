import { deviceRequestFilters, DEVICE_TOPIC_ROOT } from '../../sim/device-api/topics.js';

/**
 * Mosquitto's acl_file for the topic policy of broker/topic-policy.ts. With `use_identity_as_username` the user name
 * is the certificate's CN, which is the device id: `%u` confines each device to `devices/<its id>/`. It may receive
 * and subscribe anywhere under its prefix and publish only its requests (the rest is the backend's). Mosquitto 2.0
 * refuses a `%u` pattern for a user name holding `+` or `#` (MQTT 3.1.1 4.7.1), as ownsTopic does.
 *
 * Unlike the embedded broker, Mosquitto cannot tell a bootstrap session from an operational one (both are
 * certificate users): a bootstrap identity gets the device's rights.
 */
export function mosquittoAcl(backendUser: string): string {
  const prefix = `${DEVICE_TOPIC_ROOT}/%u`;
  return [
    '# Written by certfleet: each device under its own prefix, the backend everywhere.',
    `pattern read ${prefix}/#`,
    ...deviceRequestFilters().map((filter) => `pattern write ${prefix}/${filter}`),
    '',
    `user ${backendUser}`,
    'topic readwrite #',
    '',
  ].join('\n');
}
