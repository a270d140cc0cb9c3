import Type from 'typebox';

/** Response shapes of the hub's own routes (OpenAPI; see common/api/schemas.ts for the shared ones). */
export const HealthSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    influx: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('unknown'), Type.Literal('disabled')]),
    queueDepth: Type.Integer({ description: 'events in the durable queue waiting for InfluxDB' }),
    counters: Type.Object({ received: Type.Integer(), duplicates: Type.Integer(), deadLettered: Type.Integer(), queued: Type.Integer(), written: Type.Integer() }),
    problems: Type.Array(Type.String(), { description: 'why the status is degraded, with codes' }),
  },
  { additionalProperties: true },
);

export const VersionSchema = Type.Object({
  name: Type.Literal('safestar'),
  service: Type.Union([Type.Literal('hub'), Type.Literal('edge')]),
  version: Type.String(),
  node: Type.String({ description: 'Node.js version' }),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const CompoundSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    district: Type.String(),
    households: Type.Integer(),
    lat: Nullable(Type.Number()),
    lon: Nullable(Type.Number()),
    index: Type.Number({ description: '0–100, higher is safer' }),
    stars: Nullable(Type.Integer({ minimum: 0, maximum: 5, description: 'null: unrated (not enough data)' })),
    updatedAt: Type.String({ description: 'ISO 8601: when the inputs last changed' }),
  },
  { additionalProperties: true },
);

export const DeadLetterSchema = Type.Object({
  id: Type.Integer(),
  at: Type.Integer({ description: 'epoch ms' }),
  edge: Type.String(),
  reason: Type.String({ description: 'SS_DL_… reason code' }),
  detail: Type.String(),
  raw: Type.String({ description: 'what the edge sent, up to 16 KiB' }),
});
