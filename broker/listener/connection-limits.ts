/**
 * The limits that keep one client from taking the broker's sockets, memory or file descriptors from the others
 * (scenario broker.connections, where the defaults are). They are wall-clock and byte limits on the network, not
 * simulated time: a TLS handshake or a CONNECT takes real time whatever the scenario's speed.
 */
export interface ConnectionLimits {
  /** A TLS handshake not finished this long after the TCP connection is cut off (Node's handshakeTimeout). */
  handshakeTimeoutMs: number;
  /** A TLS connection that has not sent CONNECT this long after its handshake is cut off (aedes connectTimeout). */
  connectTimeoutMs: number;
  /**
   * The largest MQTT packet (fixed header and remaining length, MQTT 3.1.1 2.2.3) a client may send before the broker
   * admits it: a CONNECT carries a client id, a user name and perhaps a will, so a few KB. Until admitted a client may
   * have no certificate at all, so this is what anyone can make the broker hold per connection.
   */
  maxPacketBeforeConnect: number;
  /** The largest MQTT packet an admitted client may send (its CSRs, acknowledgements and commits are a few KB). */
  maxPacketAfterConnect: number;
  /**
   * Open TCP connections from one source address, handshakes included; the rest are closed on arrival. Omitted:
   * unlimited, since a simulated fleet (15,000 devices and more) dials from 127.0.0.1.
   */
  connectionsPerSource: number | undefined;
}
