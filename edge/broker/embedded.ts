import { Aedes, type AedesOptions, type Client } from 'aedes';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { DeviceChannel } from '../../protocol/topics.ts';
import { publishChannel, subscribeAllowed } from '../auth/acl.ts';
import type { DeviceAuth } from '../auth/device-auth.ts';
import type { DeviceEntry } from '../auth/registry.ts';
import type { EdgeCode } from '../errors.ts';
import { closeCode } from './close-codes.ts';
import { attachGuard, oversizedPrefix, takeOversized, type GuardOptions } from './guard.ts';

/**
 * The embedded device broker: aedes behind a plain TCP server, with device auth and the topic ACL
 * in aedes' hooks. `onPublish` runs inside `authorizePublish`, which aedes awaits BEFORE it sends
 * the QoS 1 PUBACK (its `published` hook runs after the ack: a durable write there would
 * promise nothing), so the PUBACK follows the durable outbox write.
 */
export type PublishHandler = (
  entry: DeviceEntry,
  channel: DeviceChannel,
  topic: string,
  payload: Buffer,
  done: (err?: Error | null) => void,
  /** Set when the guard read an oversized PUBLISH through: its real payload size (`payload` is its prefix). */
  oversizedBytes?: number,
) => void;

export interface BrokerHooks {
  onPublish: PublishHandler;
  onRefused: (code: EdgeCode, detail: string, device?: string) => void;
  onConnection: (entry: DeviceEntry, connected: boolean) => void;
}

export interface BrokerTls {
  certFile: string;
  keyFile: string;
  caFile?: string;
  requireClientCert?: boolean;
}

export interface BrokerOptions {
  host: string;
  tls?: BrokerTls;
  port: number;
  maxConnections: number;
  /** Connections from one address still logging in (slot lockout: idle sockets that never finish CONNECT). */
  maxPendingPerAddress: number;
  /** All connections from one address (undefined: no cap beyond maxConnections). */
  maxConnectionsPerAddress?: number;
  guard: GuardOptions;
  auth: DeviceAuth;
  hooks: BrokerHooks;
}

export interface DeviceBroker {
  url: string;
  port: number;
  aedes: Aedes;
  connections(): number;
  close(): Promise<void>;
}

export async function startDeviceBroker(o: BrokerOptions): Promise<DeviceBroker> {
  const devices = new WeakMap<Client, DeviceEntry>();
  const generated = new WeakSet<Client>();
  /** Devices granted a subscription since the start: only these can hear their own topics. */
  const heard = new Set<string>();
  const { hooks } = o;
  // Our own shutdown closes every device connection: their Last Wills would report every device
  // offline although only the edge stopped. Those wills are ignored; the hub learns of the stop
  // from the edge's own state message instead.
  let shuttingDown = false;
  const refuse = (code: EdgeCode, detail: string, device?: string): Error => {
    hooks.onRefused(code, detail, device);
    return new Error(`${code}: ${detail}`);
  };

  const opts: AedesOptions = {
    // Our guard has already checked a complete CONNECT; this only backs it up (later than the
    // guard's own timer, so one stalled socket is counted once).
    connectTimeout: o.guard.connectTimeoutMs + 1000,
    maxClientsIdLength: 64,
    authenticate(client, username, password, done) {
      const gen = client.id.startsWith('aedes_');
      if (gen) generated.add(client);
      o.auth.authenticate(client.id, gen, username, password, (client.conn as Socket).remoteAddress ?? '?').then(
        (r) => {
          if (r.ok) {
            devices.set(client, r.entry);
            done(null, true);
            return;
          }
          const err = refuse(r.code, `client '${client.id}' user '${username ?? ''}' from ${peer(client)}${r.detail ? `: ${r.detail}` : ''}`, r.device) as Error & { returnCode: number };
          err.returnCode = r.returnCode;
          done(err as Parameters<typeof done>[0], false);
        },
        (e: Error) => done(Object.assign(new Error(e.message), { returnCode: 3 }) as Parameters<typeof done>[0], false),
      );
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // the broker's own publishes
      if (shuttingDown && client.closed) return done(null);
      const entry = devices.get(client);
      const channel = entry ? publishChannel(entry, packet.topic) : undefined;
      if (!entry || !channel) {
        // MQTT 3.1.1 has no negative PUBACK: refusing closes the connection, as Mosquitto does.
        return done(refuse('SS_ACL_PUBLISH', `'${client.id}' may not publish to '${packet.topic.slice(0, 200)}'`, entry?.device.id));
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const oversized = takeOversized(client.conn as Socket, payload);
      if (oversized !== undefined) hooks.onPublish(entry, channel, packet.topic, oversizedPrefix(payload), done, oversized);
      else hooks.onPublish(entry, channel, packet.topic, payload, done);
    },
    authorizeSubscribe(client, sub, done) {
      const entry = devices.get(client);
      if (!entry || !subscribeAllowed(entry, sub.topic)) {
        refuse('SS_ACL_SUBSCRIBE', `'${client.id}' may not subscribe to '${sub.topic.slice(0, 200)}'`, entry?.device.id);
        return done(null, null); // SUBACK 0x80 for this filter, connection stays up
      }
      heard.add(entry.device.id);
      done(null, sub);
    },
  };
  const aedes = await Aedes.createBroker(opts);
  // After the PUBACK aedes forwards each accepted PUBLISH: retained-store check, offline-queue
  // lookup (a qlobber match in the persistence) and an mqemitter emit (a second match), ~2-3 µs
  // and a few promises per message (issue 14 profile). The edge itself subscribes to nothing;
  // the ACL lets a device subscribe only inside its own prefix, so only that device could ever
  // hear its topics. Until a device has been granted a subscription (remembered for the life of
  // the process, so a restored persistent session is covered too), its non-retained messages
  // have no possible receiver and skip the forwarding. Retained messages and the broker's own
  // publishes ($SYS) take aedes' normal path.
  // aedes' typings declare publish(packet, done); the broker itself calls publish(packet, client, done).
  // Every client publish reaching here passed authorizePublish (ACL), wills included.
  type Forward = (packet: { retain?: boolean }, client: Client | null | ((err?: Error) => void), done?: (err?: Error) => void) => void;
  const broker = aedes as unknown as { publish: Forward };
  const forward = broker.publish.bind(aedes);
  broker.publish = (packet, client, done) => {
    const entry = client && typeof client === 'object' ? devices.get(client) : undefined;
    if (entry && !packet.retain && !heard.has(entry.device.id)) {
      if (typeof done === 'function') done();
      return;
    }
    forward(packet, client, done);
  };
  aedes.on('clientReady', (client) => {
    loggedIn.get(client.conn as Socket)?.();
    const e = devices.get(client);
    if (e) hooks.onConnection(e, true);
  });
  aedes.on('clientDisconnect', (client) => {
    const e = devices.get(client);
    if (e) hooks.onConnection(e, false);
  });
  // Closes aedes decides itself (bad packets after CONNECT, topic levels, QoS 2 window, keep
  // alive): without these listeners they had no code, no counter and no device lastError.
  // One close, one code: the first error is the cause; writes failing after it are its echo.
  const reported = new WeakSet<Client>();
  const onClientError = (client: Client, err: Error): void => {
    if (shuttingDown || reported.has(client)) return;
    reported.add(client);
    const code = closeCode(err);
    if (!code) return;
    const entry = devices.get(client);
    hooks.onRefused(code, `'${String(client.id ?? '?').slice(0, 64)}' ${peer(client)}: ${err.message.slice(0, 200)}`, entry?.device.id);
  };
  aedes.on('clientError', onClientError);
  aedes.on('connectionError', onClientError);

  const sockets = new Set<Socket>();
  // Per-address accounting (issue 12: 100 idle sockets from one host kept every device out).
  const perAddress = new Map<string, { open: number; pending: number }>();
  const loggedIn = new WeakMap<Socket, () => void>();
  const admit = (socket: Socket): boolean => {
    const addr = socket.remoteAddress ?? '?';
    const a = perAddress.get(addr) ?? { open: 0, pending: 0 };
    const over = o.maxConnectionsPerAddress !== undefined && a.open >= o.maxConnectionsPerAddress
      ? `${a.open} connections from ${addr} (maxConnectionsPerAddress ${o.maxConnectionsPerAddress})`
      : a.pending >= o.maxPendingPerAddress ? `${a.pending} connections from ${addr} still logging in (maxPendingConnectionsPerAddress ${o.maxPendingPerAddress})` : undefined;
    if (over) {
      hooks.onRefused('SS_GUARD_ADDRESS_CAP', over);
      socket.destroy();
      return false;
    }
    a.open++;
    a.pending++;
    perAddress.set(addr, a);
    let pending = true;
    const release = (): void => {
      if (pending) a.pending--;
      pending = false;
    };
    loggedIn.set(socket, release);
    socket.once('close', () => {
      release();
      if (--a.open === 0) perAddress.delete(addr);
    });
    return true;
  };
  const onSocket = (socket: Socket): void => {
    if (!admit(socket)) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // On TLS the guard sees decrypted bytes: TLSSocket pushes plaintext through the same `push`.
    // After CONNECT, aedes has hung its client on the socket: a guard close names the device.
    const deviceOf = (): string | undefined => {
      const c = (socket as Socket & { client?: Client }).client;
      return c ? devices.get(c)?.device.id : undefined;
    };
    if (!attachGuard(socket, o.guard, (code, detail) => hooks.onRefused(code, detail, deviceOf()))) return;
    aedes.handle(socket);
  };
  const tls = o.tls;
  const server: Server = tls
    ? createTlsServer(
      {
        cert: readFileSync(tls.certFile),
        key: readFileSync(tls.keyFile),
        ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
        requestCert: tls.requireClientCert === true,
        rejectUnauthorized: tls.requireClientCert === true,
        handshakeTimeout: o.guard.connectTimeoutMs,
      },
      (socket) => {
        socket.setNoDelay(true);
        onSocket(socket);
      },
    )
    : createServer({ noDelay: true }, onSocket);
  server.on('tlsClientError', (err: Error) => hooks.onRefused('SS_GUARD_TLS', err.message.slice(0, 200)));
  server.maxConnections = o.maxConnections;
  server.on('drop', () => hooks.onRefused('SS_GUARD_MAX_CONNECTIONS', `more than ${o.maxConnections} connections`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `${tls ? 'mqtts' : 'mqtt'}://${o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host}:${port}`,
    port,
    aedes,
    connections: () => sockets.size,
    close() {
      closed ??= (async () => {
        shuttingDown = true;
        const stopped = new Promise<void>((r) => server.close(() => r()));
        await new Promise<void>((r) => aedes.close(() => r()));
        for (const s of sockets) s.destroy();
        await stopped;
      })();
      return closed;
    },
  };
}

function peer(client: Client): string {
  const s = client.conn as Partial<Socket> | undefined;
  return `${s?.remoteAddress ?? '?'}:${s?.remotePort ?? '?'}`;
}
