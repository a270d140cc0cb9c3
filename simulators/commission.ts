import type { DeviceKind, EventType } from '../protocol/devices.ts';
import { deviceTopic, type DeviceChannel } from '../protocol/topics.ts';
import type { VendorProfile } from '../protocol/vendors.ts';
import { hash32, Rng } from './random.ts';
import { BEHAVIOURS, type DeviceEnv, type Draft } from './devices/index.ts';
import { connectDevice, publishQos1, type DeviceConnectOptions } from './transport.ts';
import { encodeHeartbeat, encoderFor, type Intent } from './vendors/index.ts';

/**
 * `safestar sim device`: stand in for one device against a real edge and report, per message,
 * whether the broker acknowledged it and whether the edge decoded it into the expected event —
 * read back from the edge's local API (`GET /devices/:id`), never assumed.
 */
export interface CommissionOptions {
  brokerUrl: string;
  deviceId: string;
  password?: string;
  username?: string;
  compound: string;
  kind: DeviceKind;
  profile: VendorProfile;
  zone?: number;
  /** Edge local API base URL (http://host:port); without it, decoding is reported as unknown. */
  edgeApiUrl?: string;
  /** Event messages to send after online + heartbeat (default 3). */
  count?: number;
  /** Send these event types (one message each) instead of `count` typical ones, e.g. ['door-forced']. */
  types?: EventType[];
  seed?: number;
  tls?: DeviceConnectOptions['tls'];
  /** How long to wait for the edge's API to reflect a message. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** What the edge says about the device (edge/health DeviceHealthView, the fields we read). */
interface EdgeDeviceView {
  online: boolean | null;
  lastEvent: { type: string; at: number; deviceTime: number } | null;
  lastError: { code: string; reason: string; at: number } | null;
  counters: { messages: number; events: number; deadLettered: number; refused: number; rateLimited: number };
}

export interface CommissionStep {
  channel: DeviceChannel;
  /** The canonical event types the message stands for. */
  expected: EventType[];
  acked: boolean;
  /** yes = the edge's last event matches; no = dead-lettered or refused; unknown = no API / no change seen. */
  decoded: 'yes' | 'no' | 'unknown';
  edgeSaw?: { type?: string; deviceTime?: number; error?: { code: string; reason: string } };
  payload: string;
}

export interface CommissionReport {
  device: string;
  connected: boolean;
  connectError?: { code: string; reason: string };
  edgeApi?: { ok: boolean; status?: number; error?: string };
  steps: CommissionStep[];
  /** True when connected and every message was acknowledged and (with an API) decoded. */
  ok: boolean;
}

async function readDevice(o: CommissionOptions): Promise<{ ok: true; view: EdgeDeviceView } | { ok: false; status?: number; error: string }> {
  if (!o.edgeApiUrl) return { ok: false, error: 'no edge API given' };
  const f = o.fetch ?? fetch;
  try {
    const r = await f(`${o.edgeApiUrl.replace(/\/+$/, '')}/devices/${encodeURIComponent(o.deviceId)}`);
    if (!r.ok) return { ok: false, status: r.status, error: (await r.text()).slice(0, 300) };
    return { ok: true, view: (await r.json()) as EdgeDeviceView };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function commissionDevice(o: CommissionOptions): Promise<CommissionReport> {
  const report: CommissionReport = { device: o.deviceId, connected: false, steps: [], ok: false };
  const rng = new Rng(o.seed ?? hash32(o.deviceId));
  const encoder = encoderFor(o.profile);
  const device = { id: o.deviceId, kind: o.kind, profile: o.profile, ...(o.zone !== undefined ? { zone: o.zone } : {}) };
  const compound = { id: o.compound, name: o.compound, district: 'unknown', households: 600, lat: 24.48, lon: 118.09, devices: [] };
  const env: DeviceEnv = { device: { ...device, heartbeatSeconds: 60 }, compound, encoder, siblings: 1 };
  // Decided before connecting: an impossible --types fails without touching the edge.
  const drafts = pickDrafts(o, env, rng);
  const before = await readDevice(o);
  if (o.edgeApiUrl) report.edgeApi = before.ok ? { ok: true } : { ok: false, ...(before.status ? { status: before.status } : {}), error: before.error };
  const conn = await connectDevice({
    url: o.brokerUrl, clientId: o.deviceId, username: o.username ?? o.deviceId, ...(o.password !== undefined ? { password: o.password } : {}),
    willTopic: deviceTopic(o.compound, o.kind, o.deviceId, 'state'), ...(o.tls ? { tls: o.tls } : {}),
  });
  if (!conn.ok) {
    report.connectError = { code: conn.code, reason: conn.reason };
    return report;
  }
  report.connected = true;
  const client = conn.client;
  let view = before.ok ? before.view : undefined;

  const send = async (channel: DeviceChannel, payload: string | Buffer, expected: EventType[]): Promise<void> => {
    const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : payload;
    const res = await publishQos1(client, deviceTopic(o.compound, o.kind, o.deviceId, channel), payload);
    const step: CommissionStep = { channel, expected, acked: res.ok, decoded: 'unknown', payload: text.length > 400 ? `${text.slice(0, 400)}…` : text };
    report.steps.push(step);
    if (!res.ok || !o.edgeApiUrl || !view) {
      if (!res.ok) step.decoded = 'no';
      return;
    }
    // Poll the edge until its counters show this message, then judge from what it recorded.
    const prev = view.counters;
    const deadline = Date.now() + (o.timeoutMs ?? 3000);
    while (Date.now() < deadline) {
      const now = await readDevice(o);
      if (now.ok && now.view.counters.messages > prev.messages) {
        view = now.view;
        const c = now.view.counters;
        if (c.deadLettered > prev.deadLettered || c.refused > prev.refused || c.rateLimited > prev.rateLimited) {
          step.decoded = 'no';
          if (now.view.lastError) step.edgeSaw = { error: { code: now.view.lastError.code, reason: now.view.lastError.reason } };
        } else if (expected.length === 0) {
          step.decoded = c.events === prev.events ? 'yes' : 'no';
        } else {
          const last = now.view.lastEvent;
          step.edgeSaw = { ...(last ? { type: last.type, deviceTime: last.deviceTime } : {}) };
          step.decoded = c.events - prev.events === expected.length && last?.type === expected[expected.length - 1] ? 'yes' : 'no';
        }
        return;
      }
      await sleep(100);
    }
  };

  await send('state', 'online', ['online']);
  const t0 = Date.now();
  const hb: Intent = { kind: o.kind, channel: 'heartbeat', time: t0, deviceTime: t0, events: [] };
  await send('heartbeat', encodeHeartbeat(hb, { device, compound, seq: 1, tzOffsetMinutes: 480 }, t0 - 3_600_000).payload, ['heartbeat']);
  for (const [i, d] of drafts.entries()) {
    const t = Date.now();
    const intent: Intent = { kind: o.kind, channel: 'events', time: t, deviceTime: t, events: d.events, ...(d.marker ? { marker: d.marker } : {}), ...(d.markerOf ? { markerOf: d.markerOf } : {}) };
    const enc = encoder.encode(intent, { device, compound, seq: 2 + i, tzOffsetMinutes: 480 });
    await send('events', enc.payload, d.events.map((e) => e.type));
  }
  await client.endAsync().catch(() => {});
  report.ok = report.connected && report.steps.every((s) => s.acked && (o.edgeApiUrl ? s.decoded === 'yes' : true));
  return report;
}

/**
 * The event messages to send: `count` typical ones from the device's behaviour, or one per
 * requested type (drawn from the behaviour until it produces that type, so attributes are
 * realistic; a bare event when the behaviour never does).
 */
function pickDrafts(o: CommissionOptions, env: DeviceEnv, rng: Rng): Draft[] {
  const behaviour = BEHAVIOURS[o.kind];
  if (!o.types) {
    const out: Draft[] = [];
    for (let i = 0; i < (o.count ?? 3); i++) {
      const d = behaviour.next(env, rng, 12)[0];
      if (d) out.push(d);
    }
    return out;
  }
  return o.types.map((type) => {
    if (!env.encoder.supports.has(type)) {
      throw new Error(`SS_SIM_DEVICE_TYPE: profile '${o.profile}' cannot send '${type}'; it can send ${[...env.encoder.supports].join(', ')}`);
    }
    for (let i = 0; i < 20_000; i++) {
      const d = behaviour.next(env, rng, 12)[0];
      if (d && d.events.length === 1 && d.events[0]?.type === type) return d;
    }
    const zone = o.zone ?? 1;
    return { delayMs: 0, events: [{ type, severity: env.encoder.severity(type), attributes: { zone, door: zone, lane: zone } }] };
  });
}
