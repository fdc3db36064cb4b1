// The MQTT topic layout (docs/gateway.md "Topics"), in the style of Zigbee2MQTT (base topic,
// bridge state with a retained Last Will, per-device availability, request/response with a
// transaction id) and ChirpStack (per-device up / down / result topics).

export interface Topics {
  base: string;
  gatewayState: string;     // retained "online"/"offline", Last Will "offline"
  gatewayRequest: string;   // request → response, with a transaction id
  gatewayResponse: string;
  gatewayStats: string;     // periodic health/stats (JSON)
  deviceUp(id: string): string;          // SenML-CBOR, QoS 1, from the durable outbox
  deviceUpJson(id: string): string;      // optional SenML-JSON mirror
  deviceState(id: string): string;       // flat JSON in display units for Home Assistant
  deviceAvailability(id: string): string; // retained "online"/"offline"
  deviceDown(id: string): string;        // commands (CBOR or JSON)
  deviceDownResult(id: string): string;  // sent / acknowledged / expired / failed
  deviceDownWildcard: string;
}

export function makeTopics(base: string, gatewayId: string): Topics {
  const gw = `${base}/gateway/${gatewayId}`;
  const dev = (id: string) => `${base}/device/${id}`;
  return {
    base,
    gatewayState: `${gw}/state`,
    gatewayRequest: `${gw}/request`,
    gatewayResponse: `${gw}/response`,
    gatewayStats: `${gw}/stats`,
    deviceUp: (id) => `${dev(id)}/up`,
    deviceUpJson: (id) => `${dev(id)}/up/json`,
    deviceState: (id) => `${dev(id)}/state`,
    deviceAvailability: (id) => `${dev(id)}/availability`,
    deviceDown: (id) => `${dev(id)}/down`,
    deviceDownResult: (id) => `${dev(id)}/down/result`,
    deviceDownWildcard: `${base}/device/+/down`,
  };
}

/** The device id of a `<base>/device/<id>/down` topic, or undefined. */
export function downTopicDevice(base: string, topic: string): string | undefined {
  const prefix = `${base}/device/`;
  if (!topic.startsWith(prefix) || !topic.endsWith('/down')) return undefined;
  const id = topic.slice(prefix.length, -'/down'.length);
  return id && !id.includes('/') ? id : undefined;
}

/** Base topics may not contain wildcards or empty levels (MQTT 3.1.1 §4.7). */
export function validBaseTopic(base: string): boolean {
  return base.length > 0 && !/[#+\u0000]/.test(base) && !base.startsWith('/') && !base.endsWith('/') && !base.includes('//');
}

/** Longest MQTT 5 Response Topic we publish to (UTF-8 bytes); the spec allows 65 535, no client needs that. */
export const MAX_RESPONSE_TOPIC_BYTES = 1024;

/**
 * Whether a requester-supplied MQTT 5 Response Topic is safe to publish to. MQTT 5 §3.3.2.3.5 says
 * it must be a Topic Name, and §4.7.3 forbids wildcards ('+', '#') in a PUBLISH topic and U+0000 in
 * any topic (§1.5.4); publishing to one makes the broker close the connection as a protocol error.
 */
export function isPublishableTopic(t: string): boolean {
  return t.length > 0 && !/[+#\u0000]/.test(t) && Buffer.byteLength(t, 'utf8') <= MAX_RESPONSE_TOPIC_BYTES;
}
