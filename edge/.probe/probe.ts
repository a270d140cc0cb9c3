import { Aedes } from 'aedes';
import { createServer, type AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { startEdge } from '/work/main/edge/edge.ts';
import { siteConfig, startHubStandIn, tempDir, device, topicOf } from '/work/main/test/edge/helpers.ts';

const DEV = Number(process.env.DEV ?? 100);
const SECS = Number(process.env.SECS ?? 5);
const WINDOW = 20;
const payload = JSON.stringify({ ipAddress: '10.20.1.17', macAddress: '44:19:b6:12:34:56', channelID: 1, dateTime: '2026-11-29T08:15:02+08:00', activePostCount: 1, eventType: 'AccessControllerEvent', eventState: 'active', eventDescription: 'Access Controller Event', AccessControllerEvent: { deviceName: 'East gate', majorEventType: 5, subEventType: 1, cardNo: '3102837465', cardType: 1, employeeNoString: 'E1001', name: 'Zhang San', cardReaderNo: 1, doorNo: 1, verifyNo: 133, currentVerifyMode: 'cardOrFace', serialNo: 4512, attendanceStatus: 'undefined' } });

async function drive(url: string, topics: string[], ids: string[]): Promise<number> {
  const clients: MqttClient[] = await Promise.all(ids.map((id) => new Promise<MqttClient>((r) => { const c = mqtt.connect(url, { clientId: id, username: id, reconnectPeriod: 0 }); c.once('connect', () => { (c.stream as any).setNoDelay?.(true); r(c); }); })));
  let acked = 0; let stop = false;
  const start = Date.now();
  clients.forEach((c, k) => {
    const go = () => { if (stop) return; c.publish(topics[k]!, payload, { qos: 1 }, () => { acked++; go(); }); };
    for (let i = 0; i < WINDOW; i++) go();
  });
  await new Promise((r) => setTimeout(r, 1000)); const a0 = acked; const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECS * 1000));
  const rate = (acked - a0) / ((Date.now() - t0) / 1000);
  stop = true; clients.forEach((c) => c.end(true));
  void start;
  return rate;
}

const mode = process.argv[2];
if (mode === 'bare') {
  const a = await Aedes.createBroker();
  const s = createServer({ noDelay: true }, (sock) => a.handle(sock)); await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const url = `mqtt://127.0.0.1:${(s.address() as AddressInfo).port}`;
  let got = 0; const sub = mqtt.connect(url, { clientId: 'sub' }); await new Promise((r) => sub.once('connect', r)); sub.subscribe('ss/#', { qos: 1 }); sub.on('message', () => got++);
  await new Promise((r) => setTimeout(r, 300));
  const ids = Array.from({ length: DEV }, (_, i) => `d${i}`);
  const r = await drive(url, ids.map((id) => topicOf(device(id, { kind: 'access', profile: 'hik-access' }))), ids);
  console.log(JSON.stringify({ mode, devices: DEV, rate: Math.round(r), got }));
  process.exit(0);
} else {
  const t = tempDir(); const hub = await startHubStandIn();
  const devs = Array.from({ length: DEV }, (_, i) => { const d = device(`d${i}`, { kind: 'access', profile: 'hik-access' }); delete (d as any).passwordHash; return d; });
  const edge = await startEdge(siteConfig(t.dir, hub.url, devs, { allowAnonymousDevices: true, broker: { host: '127.0.0.1', port: 0, maxPayloadBytes: 65536, maxMessagesPerDevicePerSecond: 1_000_000, maxConnections: 10000 }, uplink: { url: hub.url, batchSize: 1000, maxInflightBatches: 8 }, outbox: { maxEvents: 10_000_000 } }));
  const r = await drive(edge.brokerUrl, devs.map((d) => topicOf(d)), devs.map((d) => d.id));
  await edge.drain(60_000);
  console.log(JSON.stringify({ mode: 'edge', devices: DEV, rate: Math.round(r), stats: edge.stats(), hub: hub.events.length, rss: Math.round(process.memoryUsage().rss / 1048576) }));
  await edge.close(); await hub.close(); t.cleanup(); process.exit(0);
}
