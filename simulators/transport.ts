import type { Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * One device's MQTT connection (mqtt.js): client id = username = device id, clean session,
 * keepalive, Last Will `offline` on its state topic, TCP noDelay. No auto-reconnect: the
 * simulator decides when a device comes back, so every message is accounted for exactly.
 */
export interface DeviceConnectOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  willTopic?: string;
  keepaliveS?: number;
  connectTimeoutMs?: number;
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean };
  /** Give up a connect still waiting for CONNACK (the run is stopping): SS_SIM_CONNECT_ABORTED. */
  signal?: AbortSignal;
}

export type ConnectResult = { ok: true; client: MqttClient } | { ok: false; code: string; reason: string };

export function connectDevice(o: DeviceConnectOptions): Promise<ConnectResult> {
  const opts: IClientOptions = {
    clientId: o.clientId,
    clean: true,
    keepalive: o.keepaliveS ?? 60,
    reconnectPeriod: 0,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    protocolVersion: 4,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.willTopic ? { will: { topic: o.willTopic, payload: Buffer.from('offline'), qos: 1 as const, retain: false } } : {}),
    ...(o.tls ?? {}),
  };
  return new Promise((resolve) => {
    let settled = false;
    const client = mqtt.connect(o.url, opts);
    const done = (r: ConnectResult): void => {
      if (settled) return;
      settled = true;
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      o.signal?.removeEventListener('abort', onAbort);
      if (!r.ok) client.end(true);
      resolve(r);
    };
    const onConnect = (): void => {
      // Small vendor messages must not wait for Nagle's algorithm.
      (client.stream as unknown as Partial<Socket>).setNoDelay?.(true);
      // Later errors (a refused publish, a broken socket) are counted by the caller, not thrown.
      client.on('error', () => {});
      // Without auto-reconnect, a lost connection would leave QoS 1 callbacks waiting forever:
      // end() flushes them with an error, which the caller counts.
      client.on('close', () => {
        if (!client.disconnecting) client.end(true);
      });
      done({ ok: true, client });
    };
    const onError = (err: Error & { code?: number | string }): void => {
      const refused = typeof err.code === 'number' && err.code > 0;
      done({ ok: false, code: refused ? 'SS_SIM_CONNECT_REFUSED' : 'SS_SIM_CONNECT_ERROR', reason: `${err.message}` });
    };
    const onClose = (): void => done({ ok: false, code: 'SS_SIM_CONNECT_CLOSED', reason: 'the broker closed the connection before CONNACK (refused or unreachable)' });
    const onAbort = (): void => done({ ok: false, code: 'SS_SIM_CONNECT_ABORTED', reason: 'the run stopped before CONNACK' });
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    client.once('connect', onConnect);
    client.once('error', onError);
    client.once('close', onClose);
  });
}

/** Cut the TCP connection without DISCONNECT, so the broker publishes the Last Will. */
export function dropConnection(client: MqttClient): void {
  (client.stream as unknown as { destroy?: () => void }).destroy?.();
  client.end(true);
}

/** QoS 1 publish resolving on PUBACK; never rejects. */
export function publishQos1(client: MqttClient, topic: string, payload: string | Buffer): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!client.connected) return Promise.resolve({ ok: false, reason: 'not connected' });
  return new Promise((resolve) => {
    client.publish(topic, payload, { qos: 1 }, (err) => resolve(err ? { ok: false, reason: err.message } : { ok: true }));
  });
}
