import type { MqttClient } from 'mqtt';

/** The return codes of the SUBACK for one SUBSCRIBE (mqtt.js rejects a refused one, carrying the SUBACK). */
export async function subackCodes(client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filter, { qos })).map((g) => g.qos);
  } catch (error) {
    const suback = (error as { packet?: { granted?: (number | { qos: number })[] } }).packet;
    if (!suback?.granted) throw error;
    return suback.granted.map((g) => (typeof g === 'number' ? g : g.qos));
  }
}
