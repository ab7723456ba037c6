/** HDR histograms recorded in a device worker, compressed base64 (hdr-histogram-js), merged in the main thread. */
export interface EncodedHistograms {
  /** Wall ms from key generation to CONNACK on the new certificate. */
  rotationLatencyMs: string;
  /** Wall ms from TCP connect to CONNACK. */
  connectLatencyMs: string;
}
