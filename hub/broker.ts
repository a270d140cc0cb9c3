import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { Aedes, type AuthenticateError } from 'aedes';
import { parseTopic } from '../protocol/topics.ts';
import type { EdgeAuth } from './auth.ts';
import type { HubErrorCode } from './errors.ts';
import type { DeadLetterDraft } from './ingest/parse.ts';
import { attachHubGuard } from './mqtt-guard.ts';

export interface BrokerHooks {
  /**
   * An uplink batch from `edge`, which may publish for the compounds in `scope` (undefined = any);
   * call `done` only once it is durable (that releases the PUBACK).
   */
  batch(edge: string, payload: Buffer, scope: ReadonlySet<string> | undefined, done: (err: Error | null) => void): void;
  /** A connection or packet the broker refused (counted by code; logged). */
  refused(code: HubErrorCode, detail: string): void;
  /** Something an edge published that the hub refuses as data (wrong topic). */
  deadLetter(d: DeadLetterDraft): void;
  /** An edge connected (true) or its current connection went away (false). */
  edgeConnection?(edge: string, up: boolean): void;
  /** An edge's retained state message (`ss/v1/edge/<id>/state`). */
  edgeState?(edge: string, payload: Buffer): void;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export interface HubBroker {
  url: string;
  port: number;
  /** MQTT sessions open now (only edges connect to the hub). */
  edgesConnected(): number;
  close(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);

function remote(client: { conn?: unknown }): string {
  const s = client.conn as Partial<Socket> | undefined;
  return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort ?? '?'}` : '?';
}

function authError(msg: string): AuthenticateError {
  // 4 = bad user name or password (MQTT 3.1.1 §3.2.2.3); aedes' const enum isn't importable at run time.
  return Object.assign(new Error(msg), { returnCode: 4 }) as AuthenticateError;
}

/**
 * The hub's embedded MQTT broker. Only edges connect (devices never do). The durability trick:
 * aedes writes the QoS 1 PUBACK only after authorizePublish calls back, so the batch is committed
 * to SQLite inside authorizePublish and the PUBACK means "durable at the hub" (issue 2, delivery).
 */
export interface HubBrokerOptions {
  host: string;
  port: number;
  auth: EdgeAuth;
  /** Largest MQTT packet an edge may send, bytes (larger: the connection is cut before it is read). */
  maxPacketBytes: number;
  /** TLS server options (key, cert, optional ca + requestCert for client certificates); absent = plain TCP. */
  tls?: TlsOptions;
}

export async function startHubBroker(opts: HubBrokerOptions, hooks: BrokerHooks): Promise<HubBroker> {
  const aedes = await Aedes.createBroker({
    // Edge ids are up to 64 chars (protocol/ids.ts); MQTT 3.1's 23-char limit would refuse them.
    maxClientsIdLength: 64,
    connectTimeout: 10_000,
    heartbeatInterval: 60_000,
  });

  aedes.authenticate = (client, username, password, done) => {
    opts.auth.check(client.id, username, password).then(
      (ok) => {
        if (ok) done(null, true);
        else {
          hooks.refused('SS_HUB_EDGE_AUTH', `edge '${client.id.slice(0, 64)}' from ${remote(client)}: credentials refused; check the edge id and secret ('safestar hub edges list')`);
          done(authError('SS_HUB_EDGE_AUTH'), false);
        }
      },
      () => done(authError('SS_HUB_EDGE_AUTH'), false),
    );
  };

  aedes.authorizePublish = (client, packet, done) => {
    if (!client) return done(null); // a stored Last Will replayed without its client
    const scope = opts.auth.scope(client.id);
    if (scope === null) {
      // Revoked while connected: no PUBACK, and the edge must authenticate again (and fail).
      hooks.refused('SS_HUB_EDGE_REVOKED', `edge '${client.id}' is no longer in the credentials; disconnected`);
      done(new Error('SS_HUB_EDGE_REVOKED'));
      client.close();
      return;
    }
    const t = parseTopic(packet.topic);
    if (t.ok && t.topic.scope === 'edge' && t.topic.edge === client.id) {
      if (t.topic.channel === 'events') {
        // Batches are consumed here, never routed: don't let a retain flag park one in broker memory.
        packet.retain = false;
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        hooks.batch(client.id, payload, scope, done);
        // The batch hook parses synchronously; nobody may subscribe here, so aedes routes an empty
        // packet and the (up to MBs) payload is garbage as soon as the hook is done with it.
        packet.payload = EMPTY;
        return;
      }
      if (t.topic.channel === 'state') hooks.edgeState?.(client.id, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
      return done(null); // own retained status
    }
    // Bad data, not a bad client: record it, ack it so the edge moves on, route it nowhere.
    packet.retain = false;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    hooks.deadLetter({
      edge: client.id,
      reason: 'SS_DL_TOPIC_FORBIDDEN',
      detail: `edge '${client.id}' may publish only under ss/v1/edge/${client.id}/ (got '${packet.topic.slice(0, 200)}')`,
      raw: payload.subarray(0, 16_384).toString('utf8'),
    });
    done(null);
  };

  // Edges have no reason to subscribe at the hub; refusing keeps one edge from reading another's data.
  aedes.authorizeSubscribe = (_client, _sub, done) => done(null, null);

  const guard = (socket: Socket): void => {
    attachHubGuard(socket, { maxPacketBytes: opts.maxPacketBytes }, (code, detail) => hooks.refused(code, detail));
    aedes.handle(socket);
  };
  const server: Server = opts.tls
    // The guard goes on the TLS socket, so it sees decrypted MQTT bytes.
    ? createTlsServer({ ...opts.tls }, guard)
    : createServer({ noDelay: true }, guard);
  if (opts.tls) {
    server.on('tlsClientError', (err: Error, socket: Socket) => hooks.refused('SS_HUB_TLS', `${socket.remoteAddress ?? '?'}: TLS handshake failed: ${err.message.slice(0, 200)}`));
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  // A reconnecting edge takes over its old session: only the current connection's close is "offline".
  const current = new Map<string, object>();
  aedes.on('client', (client) => {
    current.set(client.id, client);
    hooks.edgeConnection?.(client.id, true);
  });
  aedes.on('clientDisconnect', (client) => {
    if (current.get(client.id) !== client) return;
    current.delete(client.id);
    hooks.edgeConnection?.(client.id, false);
  });
  aedes.on('clientError', (client, err) => hooks.log.warn({ edge: client.id, err: err.message }, 'edge connection error'));

  let closing: Promise<void> | undefined;
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://${opts.host}:${port}`,
    edgesConnected: () => aedes.connectedClients,
    port,
    close() {
      closing ??= (async () => {
        // Stop accepting first; server.close resolves only once aedes has dropped the live clients.
        const serverClosed = new Promise<void>((r) => server.close(() => r()));
        await new Promise<void>((r) => aedes.close(() => r()));
        await serverClosed;
      })();
      return closing;
    },
  };
}
