import { connect, type IClientOptions, type IPublishPacket } from 'mqtt';
import { parseTopic, TOPIC_ROOT } from '../../protocol/topics.ts';
import { publishChannel } from '../auth/acl.ts';
import type { DeviceRegistry } from '../auth/registry.ts';
import type { PublishHandler } from '../broker/embedded.ts';
import type { EdgeCode } from '../errors.ts';

/**
 * Attach mode: instead of embedding aedes, the edge is a client of an existing broker (a site's
 * Mosquitto). Devices connect and authenticate there. The edge subscribes to
 * `ss/v1/dev/{compound}/#` for each of its compounds with a persistent session (clean: false,
 * QoS 1) and sends its PUBACK to that broker only after the message is in the outbox
 * (mqtt.js acknowledges when `handleMessage` calls back), so the broker keeps anything the edge
 * has not stored, across edge restarts too.
 *
 * mqtt.js hands over one message at a time and waits for the callback, so this path commits one
 * message per group commit: a few hundred messages/s. Sites that need more use the embedded
 * broker (tens of thousands/s).
 */
export interface AttachOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  compounds: readonly string[];
  registry: DeviceRegistry;
  onPublish: PublishHandler;
  /** A message on our topics that no configured device may send: dead-letter it, then call done. */
  onForeign: (code: EdgeCode, topic: string, payload: Buffer, reason: string, done: () => void) => void;
  onConnectionChange?: (connected: boolean) => void;
  onError?: (err: Error) => void;
}

export interface AttachedBroker {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

export async function attachToBroker(o: AttachOptions): Promise<AttachedBroker> {
  const opts: IClientOptions = {
    clientId: o.clientId,
    clean: false,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
  };
  const client = connect(o.url, opts);
  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish') return callback();
    const p = packet as IPublishPacket;
    const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
    // A retained message replayed on (re)subscribe was handled when it was first published.
    if (p.retain) return callback();
    const t = parseTopic(p.topic);
    if (!t.ok || t.topic.scope !== 'device') return o.onForeign('SS_ACL_PUBLISH', p.topic, payload, t.ok ? 'not a device topic' : t.reason, () => callback());
    const entry = o.registry.get(t.topic.device);
    const channel = entry ? publishChannel(entry, p.topic) : undefined;
    if (!entry || !channel) {
      return o.onForeign('SS_ACL_PUBLISH', p.topic, payload, `no configured device may publish to '${p.topic.slice(0, 200)}'`, () => callback());
    }
    // An outbox write error leaves the message unacknowledged: the broker redelivers it.
    o.onPublish(entry, channel, p.topic, payload, (err) => (err ? client.end(true) : callback()));
  };
  client.on('connect', () => {
    (client.stream as { setNoDelay?: (v: boolean) => void } | undefined)?.setNoDelay?.(true);
    o.onConnectionChange?.(true);
  });
  client.on('close', () => o.onConnectionChange?.(false));
  client.on('error', (e) => o.onError?.(e));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`SS_EDGE_ATTACH: no CONNACK from ${o.url} in 10 s; check broker.attach.url`)), 10_000);
    client.once('connect', () => {
      clearTimeout(t);
      resolve();
    });
  });
  const filters = o.compounds.map((c) => `${TOPIC_ROOT}/dev/${c}/#`);
  await new Promise<void>((resolve, reject) =>
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      if (err) return reject(err);
      const bad = (granted ?? []).find((g) => g.qos === 128);
      return bad ? reject(new Error(`SS_EDGE_ATTACH: the broker refused the subscription '${bad.topic}'`)) : resolve();
    }),
  );
  let closing: Promise<void> | undefined;
  return {
    url: o.url,
    connections: () => (client.connected ? 1 : 0),
    close() {
      closing ??= new Promise<void>((r) => client.end(false, {}, () => r()));
      return closing;
    },
  };
}
