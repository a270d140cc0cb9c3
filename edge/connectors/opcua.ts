import { join } from 'node:path';
import {
  AttributeIds, ClientMonitoredItem, ClientSubscription, MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy,
  TimestampsToReturn, type ClientSession, type DataValue,
} from 'node-opcua';
import type { OpcuaEndpointConfig, OpcuaItemConfig } from '../../protocol/site.ts';

/**
 * OPC UA connector (node-opcua client): subscribes to the configured monitored items and hands
 * every value change on. Protocol I/O only; the meaning of values lives in codecs/opcua-signal.ts.
 *
 * Recovery is ours, not node-opcua's: other gateways are known to keep a dead session after the
 * server restarts and never see values again. Any sign of trouble (connection lost, session
 * closed, subscription terminated, or no publish/keep-alive for `watchdogMs`) tears the client
 * down completely and builds a fresh connection, session, subscription and monitored items, with
 * a capped backoff. A rebuilt subscription re-sends current values; the caller dedupes by keeping
 * the previous value of each item.
 */
export interface OpcuaValue {
  item: OpcuaItemConfig;
  value: unknown;
  /** Source timestamp (ms), else server timestamp, else now. */
  time: number;
}

export interface OpcuaConnectorOptions {
  endpoint: OpcuaEndpointConfig;
  /** Folder for the client PKI (node-opcua needs one even with security None). */
  pkiDir: string;
  onValue: (v: OpcuaValue) => void;
  /** Called on every publish / keep-alive while the subscription is healthy. */
  onAlive?: () => void;
  onState?: (state: 'up' | 'down', detail: string) => void;
  clock?: () => number;
  retryMinMs?: number;
  retryMaxMs?: number;
  watchdogMs?: number;
}

export interface OpcuaConnectorStats {
  state: 'connecting' | 'up' | 'down' | 'closed';
  sessions: number;
  values: number;
  lastError: string | null;
}

export class OpcuaConnector {
  private closed = false;
  private client: OPCUAClient | undefined;
  private wake: (() => void) | undefined;
  private readonly st: OpcuaConnectorStats = { state: 'connecting', sessions: 0, values: 0, lastError: null };
  private loop: Promise<void> | undefined;
  private readonly clock: () => number;

  constructor(private readonly o: OpcuaConnectorOptions) {
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    this.loop ??= this.run();
  }

  stats(): OpcuaConnectorStats {
    return { ...this.st };
  }

  private async run(): Promise<void> {
    let delay = this.o.retryMinMs ?? 500;
    while (!this.closed) {
      const reason = await this.once().catch((e: Error) => e.message);
      if (this.closed) break;
      if (this.st.state === 'up') delay = this.o.retryMinMs ?? 500; // it worked for a while: retry fast
      this.st.state = 'down';
      this.st.lastError = reason;
      this.o.onState?.('down', reason);
      await this.teardown();
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      delay = Math.min(delay * 2, this.o.retryMaxMs ?? 5000);
    }
  }

  /** One connection lifetime: resolves with the reason it ended. */
  private async once(): Promise<string> {
    this.st.state = 'connecting';
    const client = OPCUAClient.create({
      applicationName: 'safestar-edge',
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: this.o.pkiDir, automaticallyAcceptUnknownCertificate: true }),
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      // node-opcua's own reconnection is off: a failed link ends this lifetime and `run` rebuilds.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 1000 },
      requestedSessionTimeout: 30_000,
      keepSessionAlive: true,
    });
    this.client = client;
    let end: (reason: string) => void = () => undefined;
    const ended = new Promise<string>((r) => (end = r));
    client.on('connection_lost', () => end('connection lost'));
    client.on('close', () => end('connection closed'));
    client.on('backoff', () => end('connection backoff'));
    await client.connect(this.o.endpoint.url);
    const session: ClientSession = await client.createSession();
    session.on('session_closed', () => end('session closed'));
    const sampling = this.o.endpoint.samplingMs ?? 250;
    const sub = ClientSubscription.create(session, {
      requestedPublishingInterval: sampling,
      requestedLifetimeCount: 60,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 1000,
      publishingEnabled: true,
      priority: 10,
    });
    let lastAlive = this.clock();
    const alive = (): void => {
      lastAlive = this.clock();
      this.o.onAlive?.();
    };
    sub.on('keepalive', alive);
    sub.on('terminated', () => end('subscription terminated'));
    sub.on('internal_error', (e: Error) => end(`subscription error: ${e.message}`));
    for (const item of this.o.endpoint.items) {
      const mi = ClientMonitoredItem.create(
        sub,
        { nodeId: item.nodeId, attributeId: AttributeIds.Value },
        { samplingInterval: sampling, discardOldest: true, queueSize: 10 },
        TimestampsToReturn.Both,
      );
      mi.on('changed', (dv: DataValue) => {
        alive();
        if (!dv.statusCode.isGood()) return;
        this.st.values++;
        const time = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? this.clock();
        this.o.onValue({ item, value: dv.value.value as unknown, time });
      });
      mi.on('err', (msg: string) => end(`monitored item ${item.nodeId}: ${msg}`));
    }
    this.st.state = 'up';
    this.st.sessions++;
    this.o.onState?.('up', this.o.endpoint.url);
    // The watchdog: a keep-alive is due every publishing interval × maxKeepAliveCount.
    const watchdogMs = this.o.watchdogMs ?? Math.max(5000, sampling * 10 * 3);
    const timer = setInterval(() => {
      if (this.clock() - lastAlive > watchdogMs) end(`no publish or keep-alive for ${watchdogMs} ms`);
    }, Math.min(1000, watchdogMs / 2));
    try {
      return await ended;
    } finally {
      clearInterval(timer);
    }
  }

  private async teardown(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    // disconnect() can hang on a dead socket: bound it.
    await Promise.race([c.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.st.state = 'closed';
    this.wake?.();
    await this.teardown();
    await this.loop?.catch(() => undefined);
  }
}

export function pkiDirFor(dataDir: string): string {
  return join(dataDir, 'opcua-pki');
}
