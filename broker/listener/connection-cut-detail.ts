import type { ConnectionCutReason } from '../../sim/stats/broker-stats.js';

/** What each cut means, in the words of the broker.connection-cut event. */
export const CONNECTION_CUT_DETAIL: Record<ConnectionCutReason, string> = {
  handshake_timeout: 'TLS handshake not finished within the handshake timeout',
  connect_timeout: 'no CONNECT within the CONNECT timeout',
  packet_too_large: 'an MQTT packet over the maximum packet size',
  too_many_connections_from_source: 'too many connections from one source address',
  fd_exhausted: 'file descriptors exhausted: a connection could not be accepted',
  protocol_error: 'malformed MQTT or a protocol violation',
};
