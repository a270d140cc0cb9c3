import type { EdgeCode } from '../errors.ts';

/**
 * What a connection error aedes reports (`clientError` / `connectionError`) means, as one of our
 * codes. aedes closes the connection itself for these and says nothing else (issue 12: closes
 * for >100 topic levels or >1,000 unreleased QoS 2 messages were invisible); the messages are
 * aedes' and mqtt-packet's own texts, matched here in one place.
 * undefined: the error carries one of our codes, so it was counted where it was decided.
 */
const RULES: [RegExp, EdgeCode][] = [
  [/topic has too many levels/, 'SS_BROKER_TOPIC_LEVELS'],
  [/maxInflightInbound exceeded/, 'SS_BROKER_QOS2_INFLIGHT'],
  [/keep alive timeout/, 'SS_BROKER_KEEPALIVE'],
  [/connect did not arrive in time/, 'SS_GUARD_CONNECT_TIMEOUT'],
  [/^connection closed$|^drain timeout$/, 'SS_BROKER_SOCKET'],
  [
    /Invalid protocol|Not supported|Invalid header flag|Malformed|Cannot parse|Packet too short|Invalid |must not have both QoS|must be|not allowed in PUBLISH|empty topic|only allowed in|identifier rejected|Unsupported/,
    'SS_BROKER_PROTOCOL',
  ],
];

const SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED', 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC']);

export function closeCode(err: Error & { code?: string }): EdgeCode | undefined {
  if (/^SS_[A-Z_]+:/.test(err.message)) return undefined;
  if (err.code && SOCKET_ERRORS.has(err.code)) return 'SS_BROKER_SOCKET';
  for (const [re, code] of RULES) if (re.test(err.message)) return code;
  return 'SS_BROKER_CLIENT_ERROR';
}
