import Type from 'typebox';
import { ID_PATTERN } from './ids.ts';
import { DEVICE_KINDS, type DeviceKind } from './devices.ts';
import { VENDOR_PROFILE_NAMES, type VendorProfile } from './vendors.ts';
import { compileChecker } from './validate.ts';

/**
 * Site config of one edge node (one JSON file, validated at start). Units are in the names.
 * Device passwords are stored as scrypt hashes (`scrypt$<salt b64>$<hash b64>`), never in clear.
 */
export interface SiteDevice {
  id: string;
  compound: string;
  kind: DeviceKind;
  profile: VendorProfile;
  /** MQTT username; defaults to the device id. */
  username?: string;
  passwordHash?: string;
  zone?: number;
  heartbeatSeconds: number;
}

export interface SiteCompound {
  id: string;
  name: string;
  district: string;
  households: number;
}

/**
 * OPC UA monitored items (fence controllers, barrier PLCs) and what their values mean. Booleans
 * fire on the rising edge (`power-ok` on the falling edge → power-loss); `armed` gives arm/disarm
 * on change; `gate-state` (0 closed, 1 opening, 2 open, 3 closing) gives gate-open / gate-close.
 */
export const OPCUA_SIGNALS = ['fence-alarm', 'wire-cut', 'short-circuit', 'tamper', 'power-ok', 'armed', 'gate-state', 'gate-fault'] as const;
export type OpcuaSignal = (typeof OPCUA_SIGNALS)[number];

export interface OpcuaItemConfig {
  /** e.g. "ns=1;s=fence.zone1.WireCut" */
  nodeId: string;
  /** A device of this site config that the value belongs to. */
  device: string;
  signal: OpcuaSignal;
  zone?: number;
}

export interface OpcuaEndpointConfig {
  /** opc.tcp://host:port */
  url: string;
  samplingMs?: number;
  items: OpcuaItemConfig[];
}

export interface SiteConfig {
  v: 1;
  edge: { id: string; district: string };
  /** Offset of device local times that carry none (GB/T 28181, most fences): e.g. "+08:00". */
  timezone: string;
  /** Key for the privacy stage's keyed hashes; use `SAFESTAR_SITE_SECRET` in production. */
  privacySecret?: string;
  /** Accept devices without a passwordHash (commissioning only). */
  allowAnonymousDevices?: boolean;
  broker: {
    host: string;
    port: number;
    maxPayloadBytes: number;
    maxMessagesPerDevicePerSecond: number;
    maxConnections: number;
    /**
     * A PUBLISH over maxPayloadBytes but at most this many bytes (packet size) is read through
     * without buffering and dead-lettered, so the device moves on; above it the edge closes the
     * connection. Default 8 MiB.
     */
    hardMaxPacketBytes?: number;
    /** Connections from one address that have not finished logging in (default max(50, maxConnections / 4)). */
    maxPendingConnectionsPerAddress?: number;
    /** All connections from one address (default: no cap beyond maxConnections; set it when devices don't share a NAT). */
    maxConnectionsPerAddress?: number;
    /**
     * Attach to an existing MQTT broker (e.g. the site's Mosquitto) instead of embedding one:
     * devices connect and authenticate there; the edge subscribes to its compounds' device topics
     * with a persistent QoS 1 session and acknowledges each message only after its outbox write.
     */
    attach?: { url: string; username?: string; password?: string; clientId?: string };
    /**
     * Serve devices over TLS (mqtts) instead of plain TCP. PEM files; with `caFile` and
     * `requireClientCert` devices must present a certificate signed by that CA (and still log in).
     */
    tls?: { certFile: string; keyFile: string; caFile?: string; requireClientCert?: boolean };
  };
  uplink: {
    /** mqtt://host:port of the hub's broker. */
    url: string;
    username?: string;
    password?: string;
    /** PEM CA the edge trusts for an mqtts:// hub (default: the system's CAs). */
    caFile?: string;
    /** PEM client certificate and key, when the hub asks edges for one (--tls-client-ca). */
    certFile?: string;
    keyFile?: string;
    batchSize: number;
    maxInflightBatches: number;
  };
  outbox: { maxEvents: number };
  api: {
    host: string;
    port: number;
    /**
     * Hash (`scrypt$…`, as `safestar edge token` prints it) of the bearer token that `/deadletters`
     * requires. Without it `/deadletters` answers 401 SS_API_TOKEN to everyone.
     */
    tokenHash?: string;
  };
  /** Device clock policy: beyond maxSkewSeconds (default 900) an event is flagged clockSuspect and stored at edge time. */
  clockPolicy?: { maxSkewSeconds: number };
  /**
   * Anomaly scorer: `stateSaveSeconds` (default 30) is how often the feature memory is saved to
   * the outbox database while events arrive (and always on a clean stop). A `kill -9` loses at
   * most this much memory, never events; shorter costs one JSON write of the snapshot that often.
   */
  scorer?: { stateSaveSeconds?: number };
  /**
   * The per-message work (decode → event → privacy → validate → serialise): `workers` threads
   * do it beside the socket thread, each device's messages always on the same one (default 0 =
   * all on the socket thread; edge/README.md "Using both cores" has the measurements).
   */
  pipeline?: { workers?: number };
  /** Level of the edge's JSON logs (default info); LOG_LEVEL and --log-level override it. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dataDir: string;
  compounds: SiteCompound[];
  devices: SiteDevice[];
  opcua?: OpcuaEndpointConfig[];
}

const Id = Type.String({ pattern: ID_PATTERN });
const Port = Type.Integer({ minimum: 0, maximum: 65_535 });

export const SiteConfigSchema = Type.Object(
  {
    v: Type.Literal(1),
    edge: Type.Object({ id: Id, district: Id }, { additionalProperties: false }),
    timezone: Type.String({ pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$' }),
    privacySecret: Type.Optional(Type.String({ minLength: 16 })),
    allowAnonymousDevices: Type.Optional(Type.Boolean()),
    broker: Type.Object(
      {
        host: Type.String(),
        port: Port,
        maxPayloadBytes: Type.Integer({ minimum: 256, maximum: 1_048_576 }),
        maxMessagesPerDevicePerSecond: Type.Integer({ minimum: 1 }),
        maxConnections: Type.Integer({ minimum: 1 }),
        hardMaxPacketBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 268_435_456 })),
        maxPendingConnectionsPerAddress: Type.Optional(Type.Integer({ minimum: 1 })),
        maxConnectionsPerAddress: Type.Optional(Type.Integer({ minimum: 1 })),
        attach: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^mqtts?://' }),
              username: Type.Optional(Type.String()),
              password: Type.Optional(Type.String()),
              clientId: Type.Optional(Id),
            },
            { additionalProperties: false },
          ),
        ),
        tls: Type.Optional(
          Type.Object(
            {
              certFile: Type.String({ minLength: 1 }),
              keyFile: Type.String({ minLength: 1 }),
              caFile: Type.Optional(Type.String({ minLength: 1 })),
              requireClientCert: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    uplink: Type.Object(
      {
        url: Type.String({ pattern: '^mqtts?://' }),
        username: Type.Optional(Type.String()),
        password: Type.Optional(Type.String()),
        caFile: Type.Optional(Type.String({ minLength: 1 })),
        certFile: Type.Optional(Type.String({ minLength: 1 })),
        keyFile: Type.Optional(Type.String({ minLength: 1 })),
        batchSize: Type.Integer({ minimum: 1, maximum: 1000 }),
        maxInflightBatches: Type.Integer({ minimum: 1, maximum: 64 }),
      },
      { additionalProperties: false },
    ),
    outbox: Type.Object({ maxEvents: Type.Integer({ minimum: 100 }) }, { additionalProperties: false }),
    api: Type.Object(
      { host: Type.String(), port: Port, tokenHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })) },
      { additionalProperties: false },
    ),
    clockPolicy: Type.Optional(
      Type.Object({ maxSkewSeconds: Type.Integer({ minimum: 1, maximum: 31_536_000 }) }, { additionalProperties: false }),
    ),
    scorer: Type.Optional(
      Type.Object({ stateSaveSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })) }, { additionalProperties: false }),
    ),
    pipeline: Type.Optional(
      Type.Object({ workers: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })) }, { additionalProperties: false }),
    ),
    logLevel: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
    dataDir: Type.String({ minLength: 1 }),
    compounds: Type.Array(
      Type.Object(
        { id: Id, name: Type.String({ maxLength: 100 }), district: Id, households: Type.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    devices: Type.Array(
      Type.Object(
        {
          id: Id,
          compound: Id,
          kind: Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k))),
          profile: Type.Union(VENDOR_PROFILE_NAMES.map((p) => Type.Literal(p))),
          username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          passwordHash: Type.Optional(Type.String({ pattern: '^scrypt\\$' })),
          zone: Type.Optional(Type.Integer({ minimum: 0, maximum: 999 })),
          heartbeatSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
        },
        { additionalProperties: false },
      ),
    ),
    opcua: Type.Optional(
      Type.Array(
        Type.Object(
          {
            url: Type.String({ pattern: '^opc\\.tcp://' }),
            samplingMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
            items: Type.Array(
              Type.Object(
                {
                  nodeId: Type.String({ minLength: 1, maxLength: 256 }),
                  device: Id,
                  signal: Type.Union(OPCUA_SIGNALS.map((s) => Type.Literal(s))),
                  zone: Type.Optional(Type.Integer({ minimum: 0, maximum: 999 })),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: 10_000 },
            ),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

export const checkSiteConfig = compileChecker<SiteConfig>(SiteConfigSchema);
