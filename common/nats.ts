import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

/**
 * Test harness for a real NATS JetStream cluster: N `nats-server` processes on free loopback
 * ports, each with its own store folder, server_name and cluster routes to the others. Tests use
 * it to SIGKILL a node (or the stream leader) and restart it with the same store, the way a
 * machine dies and comes back. Never binds 4222.
 */

export const NATS_SERVER_BIN = process.env['SS_NATS_SERVER'] ?? 'nats-server';

export function natsServerAvailable(): boolean {
  try {
    execFileSync(NATS_SERVER_BIN, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface NatsNode {
  name: string;
  /** Client port. */
  port: number;
  /** Cluster route port. */
  clusterPort: number;
  /** HTTP monitoring port (/jsz, /healthz). */
  httpPort: number;
  storeDir: string;
  conf: string;
  process: ChildProcess | undefined;
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** nats://127.0.0.1:p1,nats://… — every node, so a client fails over on its own. */
  readonly servers: string[];
  /** Wait until the JetStream meta group has a leader that every running node agrees on. */
  waitMetaLeader(timeoutMs?: number): Promise<string>;
  /** server_name of the current leader of a stream's Raft group (asks the running nodes' /jsz). */
  streamLeader(stream: string, timeoutMs?: number): Promise<string>;
  /**
   * Wait until every running node's own copy of a stream holds what its leader holds (same last
   * sequence and message count), and return each node's copy. A restarted node answers /healthz
   * and the leader already calls it current while its store is still a few messages behind
   * (measured: 1–11 of 240, caught up 0.2–1.9 s later on a loaded box), so reads that land on it
   * before this see a short stream.
   */
  waitStreamCurrent(stream: string, timeoutMs?: number): Promise<StreamCopy[]>;
  /** SIGKILL one node (by server_name) and wait until its process is gone. */
  kill(name: string): Promise<void>;
  /** Start a stopped node again with the same ports and store; resolves once its JetStream is healthy. */
  restart(name: string, timeoutMs?: number): Promise<void>;
  running(): NatsNode[];
  /** Kill every node and remove the folders (unless keep). */
  stop(): Promise<void>;
}

/** One node's own copy of a stream, as its /jsz reports it. */
export interface StreamCopy {
  node: string;
  leader: string | undefined;
  messages: number;
  lastSeq: number;
}

interface JszMeta {
  meta_cluster?: { leader?: string; cluster_size?: number };
  account_details?: Array<{ stream_detail?: Array<{ name: string; cluster?: { leader?: string }; state?: { messages: number; last_seq: number } }> }>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function jsz(node: NatsNode, query = ''): Promise<JszMeta | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${node.httpPort}/jsz${query}`, { signal: AbortSignal.timeout(2000) });
    if (!r.ok) return undefined;
    return (await r.json()) as JszMeta;
  } catch {
    return undefined;
  }
}

function writeConf(node: NatsNode, all: readonly NatsNode[], clusterName: string): void {
  const routes = all.filter((n) => n !== node).map((n) => `nats-route://127.0.0.1:${n.clusterPort}`);
  writeFileSync(
    node.conf,
    [
      `server_name: ${node.name}`,
      `listen: 127.0.0.1:${node.port}`,
      `http: 127.0.0.1:${node.httpPort}`,
      `jetstream {`,
      `  store_dir: "${node.storeDir}"`,
      `  max_memory_store: 64MB`,
      `  max_file_store: 2GB`,
      `}`,
      `cluster {`,
      `  name: ${clusterName}`,
      `  listen: 127.0.0.1:${node.clusterPort}`,
      `  routes: [${routes.join(', ')}]`,
      `}`,
    ].join('\n'),
  );
}

export async function startNatsCluster(opts: { size?: number; dir?: string; keep?: boolean } = {}): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'safestar-nats-'));
  const clusterName = `ss-${Math.random().toString(36).slice(2, 8)}`;
  const nodes: NatsNode[] = [];
  // Ports are taken one at a time but all before any server starts, so the route lists are known.
  const taken = new Set<number>();
  const pick = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  for (let i = 1; i <= size; i++) {
    const name = `n${i}`;
    const storeDir = join(dir, name);
    mkdirSync(storeDir, { recursive: true });
    nodes.push({ name, port: await pick(), clusterPort: await pick(), httpPort: await pick(), storeDir, conf: join(dir, `${name}.conf`), process: undefined });
  }
  for (const n of nodes) writeConf(n, nodes, clusterName);

  const logs = new Map<string, string>();
  const launch = async (n: NatsNode): Promise<void> => {
    const child = spawn(NATS_SERVER_BIN, ['-c', n.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (b: Buffer) => logs.set(n.name, ((logs.get(n.name) ?? '') + b.toString()).slice(-4000)));
    n.process = child;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`SS_NATS_EXIT: nats-server ${n.name} exited with ${child.exitCode}: ${logs.get(n.name) ?? ''}`);
      try {
        const r = await fetch(`http://127.0.0.1:${n.httpPort}/varz`, { signal: AbortSignal.timeout(1000) });
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`SS_NATS_TIMEOUT: nats-server ${n.name} did not answer /varz in 20 s`);
      await sleep(50);
    }
  };
  const find = (name: string): NatsNode => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`SS_NATS_NODE: no node named ${name}`);
    return n;
  };
  const running = (): NatsNode[] => nodes.filter((n) => n.process !== undefined && n.process.exitCode === null && n.process.signalCode === null);
  const kill = async (name: string): Promise<void> => {
    const n = find(name);
    const p = n.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  };

  const cluster: NatsCluster = {
    nodes,
    servers: nodes.map((n) => `nats://127.0.0.1:${n.port}`),
    async waitMetaLeader(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const live = running();
        const leaders = await Promise.all(live.map(async (n) => (await jsz(n))?.meta_cluster?.leader ?? ''));
        const first = leaders[0];
        // Every running node must see the same leader, and that leader must be one of them.
        if (first && leaders.every((l) => l === first) && live.some((n) => n.name === first)) return first;
        if (Date.now() > deadline) throw new Error(`SS_NATS_NO_META_LEADER: no JetStream meta leader agreed in ${timeoutMs} ms (saw ${leaders.join(',')})`);
        await sleep(100);
      }
    },
    async streamLeader(stream: string, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const n of running()) {
          const j = await jsz(n, '?accounts=true&streams=true');
          for (const acc of j?.account_details ?? []) {
            const s = acc.stream_detail?.find((d) => d.name === stream);
            const leader = s?.cluster?.leader;
            if (leader && running().some((r) => r.name === leader)) return leader;
          }
        }
        if (Date.now() > deadline) throw new Error(`SS_NATS_NO_STREAM_LEADER: stream ${stream} has no leader after ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    async waitStreamCurrent(stream: string, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const live = running();
        const copies: StreamCopy[] = [];
        for (const n of live) {
          const j = await jsz(n, '?accounts=true&streams=true');
          const s = j?.account_details?.flatMap((a) => a.stream_detail ?? []).find((d) => d.name === stream);
          if (s?.state) copies.push({ node: n.name, leader: s.cluster?.leader, messages: s.state.messages, lastSeq: s.state.last_seq });
        }
        const lead = copies.find((c) => c.node === c.leader);
        if (lead && copies.length === live.length && copies.every((c) => c.leader === lead.node && c.lastSeq === lead.lastSeq && c.messages === lead.messages)) return copies;
        if (Date.now() > deadline) throw new Error(`SS_NATS_STREAM_BEHIND: stream ${stream} replicas not current in ${timeoutMs} ms: ${JSON.stringify(copies)}`);
        await sleep(100);
      }
    },
    kill,
    async restart(name: string, timeoutMs = 30_000) {
      const n = find(name);
      if (running().includes(n)) return;
      await launch(n);
      // /healthz answers 200 only once the node's JetStream caught up with its Raft groups; before
      // that it answers API calls with 'jetstream is not enabled' (seen here after a restart).
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const r = await fetch(`http://127.0.0.1:${n.httpPort}/healthz`, { signal: AbortSignal.timeout(1000) });
          if (r.ok) return;
        } catch {
          /* not yet */
        }
        if (Date.now() > deadline) throw new Error(`SS_NATS_UNHEALTHY: ${name} did not report healthy in ${timeoutMs} ms after its restart`);
        await sleep(100);
      }
    },
    running,
    async stop() {
      for (const n of nodes) await kill(n.name);
      if (!opts.keep && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map(launch));
    await cluster.waitMetaLeader();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
