/**
 * The edge's catalogue of stable error / reason codes (STYLE.md habit 6). Codes are data: they
 * appear in dead-letter records, `/devices` last errors and metric labels, so never rename one.
 */
export const EDGE_CODES = {
  SS_EDGE_CONFIG_READ: 'the site config file could not be read; check the path and permissions',
  SS_EDGE_CONFIG_JSON: 'the site config is not valid JSON; fix the syntax at the reported position',
  SS_EDGE_CONFIG_INVALID: 'the site config does not match the schema; fix the field at the reported path',
  SS_EDGE_CONFIG_REF: 'a device refers to a compound that is not in `compounds`, or ids/usernames repeat',
  SS_EDGE_DRAIN_TIMEOUT: 'the outbox did not empty in time; check the hub link (uplink) and retry',
  SS_EDGE_ATTACH: 'attach mode could not connect or subscribe to the site broker; check broker.attach and its ACL',
  SS_API_NOT_FOUND: 'no such device in the site config; check the id',
  SS_API_INVALID: 'the request does not match the route schema (see /docs on the edge API); fix the listed fields',
  SS_EDGE_CLOSED: 'the edge is shut down; start a new one',
  SS_EDGE_UPLINK_STUCK: 'a batch got no PUBACK in time on a live hub link; the edge reconnected to resend it',
  SS_EDGE_OUTBOX_FULL: 'the outbox reached outbox.maxEvents; the oldest non-life-safety events were dropped',
  SS_EDGE_OUTBOX_WRITE: 'the outbox write failed (disk full or read-only?); free space and restart',
  SS_EDGE_MIGRATION: 'a schema migration of the edge database failed and was rolled back; fix or restore the file named and restart',
  SS_EDGE_SCHEMA_NEWER: 'the edge database was written by a newer build; run that build, or restore a backup made by this one',
  SS_EDGE_SCORER_TIMEOUT: 'the anomaly scorer did not answer within its stall guard (a hung runtime, not load); events were stored unscored',
  SS_EDGE_SCORER_SHED: 'the edge was overloaded (group-commit backlog over scorer shedding bound) and shed scoring of non-life-safety events by its policy; stored unscored, feature memory kept',
  SS_EDGE_SCORER_ERROR: 'the anomaly scorer threw; events were stored unscored',
  SS_EDGE_SCORER_OFF: 'no anomaly scorer runs; events are stored unscored (start the edge without --no-scorer, with a model)',
  SS_EDGE_SCORER_DEGRADED: 'the anomaly scorer has no usable model; events are stored unscored (see /health scorer.reason)',
  SS_EDGE_INGEST_WORKER: 'an ingest thread (pipeline.workers) stopped and the main-thread retry of the message failed too; the raw message is kept as a dead letter (see the log for why the thread stopped)',
  SS_EDGE_MALLOC_ARENAS: 'MALLOC_ARENA_MAX is unset in this edge process: glibc keeps up to 8 malloc arenas per core, ~30 MiB more RSS at 2,000 devices. `safestar edge` (bin/safestar.js) adds it itself only on a Node with process.execve (>= 22.15), and not when the edge is started another way or the re-exec failed; set MALLOC_ARENA_MAX=2 in the edge service environment (deploy/systemd/safestar-edge.service)',
  SS_EDGE_UNCOMPILED: 'this edge runs its TypeScript sources through tsx, whose loader thread keeps 25-35 MiB more RSS at 2,000 devices than the compiled build. Run `npm run build` after every install or update of the sources (`safestar edge` uses dist/ only while it was built from exactly these sources)',
  SS_EDGE_HEAP_FLAGS: 'this edge process runs without the node flags of EDGE_NODE_FLAGS (bin/edge-env.js): without --heap-growing-percent V8 lets the old generation grow to about twice the live heap (RSS swings by up to ~90 MiB at 2,000 devices), without --max-semi-space-size the young generation on Node 20 is half the size the edge is measured with (more CPU per event). `safestar edge` adds them itself only on a Node with process.execve (>= 22.15); elsewhere put them on the node command line of the service (deploy/systemd/safestar-edge.service ExecStart)',
  SS_AUTH_UNKNOWN_DEVICE: 'no device with this username / client id in the site config',
  SS_AUTH_BAD_PASSWORD: 'the password does not match the device passwordHash',
  SS_AUTH_NO_PASSWORD: 'the device has a passwordHash but connected without a password',
  SS_AUTH_CLIENT_ID: 'the client id must equal the device id (or be empty with clean session)',
  SS_ACL_PUBLISH: 'a device may only publish under ss/v1/dev/{its compound}/{its kind}/{its id}/',
  SS_ACL_SUBSCRIBE: 'a device may only subscribe under its own prefix',
  SS_GUARD_FIRST_PACKET: 'the first MQTT packet on a connection must be CONNECT [MQTT-3.1.0-1]',
  SS_GUARD_PACKET_SIZE: 'an MQTT packet exceeded the configured maximum size',
  SS_GUARD_CONNECT_TIMEOUT: 'no complete CONNECT arrived within the connect timeout',
  SS_GUARD_CONNECT_INVALID: 'the CONNECT packet broke the MQTT 3.1.1 rules (see reason)',
  SS_GUARD_TLS: 'the TLS handshake failed (no or untrusted client certificate, wrong protocol?)',
  SS_GUARD_MAX_CONNECTIONS: 'broker.maxConnections reached; the connection was refused',
  SS_GUARD_ADDRESS_CAP: 'too many connections from one address (broker.maxPendingConnectionsPerAddress / maxConnectionsPerAddress); check that host',
  SS_BROKER_PROTOCOL: 'a packet after CONNECT broke MQTT 3.1.1 (reserved type, wrong flags, second CONNECT, SUBSCRIBE/UNSUBSCRIBE without a topic); fix the device firmware',
  SS_BROKER_UTF8: 'a topic filter was not valid UTF-8 or held U+0000 [MQTT-1.5.3-1, -2]; fix the device firmware',
  SS_BROKER_TOPIC_LEVELS: 'a topic had more than 100 levels; device topics have 7',
  SS_BROKER_QOS2_INFLIGHT: 'more than 1,000 QoS 2 messages were left unreleased (no PUBREL); fix the device firmware or use QoS 1',
  SS_BROKER_KEEPALIVE: 'the device sent nothing for 1.5 × its keep-alive; check its network',
  SS_BROKER_SOCKET: 'the connection failed at the socket (reset, broken pipe); check the device network',
  SS_BROKER_CLIENT_ERROR: 'aedes closed the connection for another reason (see detail)',
  SS_AUTH_THROTTLED: 'too many failed logins from this address or for this device; wait (the delay grows with each failure) and fix the password',
  SS_AUTH_BUSY: 'too many password checks are waiting; the device should retry in a few seconds',
  SS_API_TOKEN: 'this endpoint needs `Authorization: Bearer <token>`; make one with `safestar edge token` and put its tokenHash in the site config (api.tokenHash)',
  SS_RATE_LIMITED: 'the device published faster than broker.maxMessagesPerDevicePerSecond; it was slowed down',
  SS_PAYLOAD_TOO_LARGE: 'the payload exceeded broker.maxPayloadBytes',
  SS_EVENT_INVALID: 'the decoded event failed the Event v1 schema (codec bug or out-of-range value)',
  SS_CODEC_JSON: 'the payload is not valid JSON',
  SS_CODEC_XML: 'the payload is not well-formed XML',
  SS_CODEC_SHAPE: 'a required field is missing or has the wrong type',
  SS_CODEC_UNKNOWN_CODE: 'the vendor event code is not one this profile maps',
  SS_CODEC_TIME: 'the device time is missing or unparseable',
  SS_CODEC_STATE: 'a state message must be the text online or offline',
} as const;

export type EdgeCode = keyof typeof EDGE_CODES;

/** `SS_X: what happened; what to do` (STYLE.md) as an Error with a stable `.code`. */
export class EdgeError extends Error {
  readonly code: EdgeCode;
  constructor(code: EdgeCode, detail?: string) {
    super(`${code}: ${detail ? `${detail}; ` : ''}${EDGE_CODES[code]}`);
    this.code = code;
    this.name = 'EdgeError';
  }
}
