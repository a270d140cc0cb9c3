import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient } from 'mqtt';
import { siteConfig, startHubStandIn, tempDir, device } from '/work/main/test/edge/helpers.ts';
const N = Number(process.env.DEV ?? 2000);
const t = tempDir(); const hub = await startHubStandIn();
const devs = Array.from({ length: N }, (_, i) => { const d = device(`d${i}`); delete (d as any).passwordHash; return d; });
const cfg = siteConfig(t.dir + '/data', hub.url, devs, { allowAnonymousDevices: true, broker: { host: '127.0.0.1', port: 0, maxPayloadBytes: 65536, maxMessagesPerDevicePerSecond: 100, maxConnections: 10000 } });
writeFileSync(t.dir + '/site.json', JSON.stringify(cfg));
const child = spawn(process.execPath, ['--import', 'tsx', '/work/main/test/edge/edge-child.ts', t.dir + '/site.json'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'error' } });
const url: string = await new Promise((r) => createInterface({ input: child.stdout! }).on('line', (l) => { if (l.includes('ready')) r(JSON.parse(l).brokerUrl); }));
const rss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024);
console.log('rss at start', rss());
const clients: MqttClient[] = [];
for (let i = 0; i < N; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, k) => new Promise<void>((r) => { const c = mqtt.connect(url, { clientId: `d${i + k}`, username: `d${i + k}`, reconnectPeriod: 0, keepalive: 60 }); c.once('connect', () => { clients.push(c); r(); }); c.once('error', () => r()); })));
}
console.log('connected', clients.length, 'rss', rss());
// one heartbeat + one event each
await Promise.all(clients.map((c, i) => new Promise<void>((r) => c.publish(`ss/v1/dev/c1/fence/d${i}/events`, JSON.stringify({ host: 'PF', zone: 1, event: 'alarm', time: '2026-11-29 08:15:02' }), { qos: 1 }, () => r()))));
await new Promise((r) => setTimeout(r, 2000));
console.log('after 1 event each: rss', rss(), 'hub', hub.events.length);
child.kill('SIGKILL'); clients.forEach((c) => c.end(true)); await hub.close(); t.cleanup(); process.exit(0);
