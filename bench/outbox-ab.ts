// Outbox A/B (issue 14): `node --import tsx bench/outbox-ab.ts <other checkout> [rounds] [commits] [rows]`
// runs the real `Outbox` class of this checkout and of another one (each in its own child process,
// alternating) through the edge's write pattern: group commits of `rows`..`rows`+30 event bodies
// (1 in 20 life-safety), each synced (WAL fsync on the thread pool), taken by the uplink from
// `next()` and removed (the hub's PUBACK) four commits later. Prints process CPU µs per row
// (process.cpuUsage: the main thread and the fsync threads) and the per-pair ratio this / other.
// JSON on the last line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, pairedRatio, values } from './lib/pairs.ts';
import { machine } from './lib/report.ts';

interface OutboxLike {
  write(rows: readonly { id: string; life: boolean; at: number; body: string }[], dls: readonly never[]): number;
  sync(): Promise<void>;
  durableSeq(): number;
  next(life: number, normal: number, limit: number, upTo?: number): { seq: number; life: boolean }[];
  remove(rows: readonly { seq: number; life: boolean }[]): number;
  close(): void;
}

const T0 = 1_764_404_102_000;
/** An Event v1 body of the bench's size (~430 bytes): access event with hashes and a score. */
const body = (i: number): string => JSON.stringify({
  v: 1, id: `edge-ab.${(i * 2654435761 % 2 ** 32).toString(36)}AbCdEfGhIjKlMn`, deviceTime: T0 + i, receivedAt: T0 + i, district: 'd1', compound: 'c1',
  edge: 'edge-ab', device: `c1-dev-${i % 10}`, kind: 'access', type: 'granted', severity: 'info',
  attributes: { door: 3, card: (i * 7919).toString(16).padStart(32, '0'), direction: 'in', serialNo: i, reader: 2, verifyMode: 'card' },
  score: { value: 0.1234 + i / 1e6, threshold: 0.9, model: 'kt-2.3.0', anomalous: false },
});

async function one(root: string, commits: number, rowsPer: number): Promise<void> {
  const { Outbox } = (await import(join(root, 'edge/outbox/outbox.ts'))) as { Outbox: new (file: string, o: { maxEvents: number }) => OutboxLike };
  const dir = mkdtempSync(join(tmpdir(), 'safestar-outbox-ab-'));
  try {
    const ob = new Outbox(join(dir, 'outbox.sqlite'), { maxEvents: 1_000_000 });
    let n = 0;
    let lifeCursor = 0;
    let normalCursor = 0;
    const sent: { seq: number; life: boolean }[][] = [];
    const commit = async (): Promise<number> => {
      const k = rowsPer + (n % 31);
      const rows = Array.from({ length: k }, (_, j) => ({ id: `edge-ab.${n + j}`, life: (n + j) % 20 === 0, at: T0 + n + j, body: body(n + j) }));
      n += k;
      ob.write(rows, []);
      await ob.sync();
      const batch = ob.next(lifeCursor, normalCursor, 10_000, ob.durableSeq());
      for (const r of batch) {
        if (r.life) lifeCursor = Math.max(lifeCursor, r.seq);
        else normalCursor = Math.max(normalCursor, r.seq);
      }
      sent.push(batch);
      if (sent.length > 4) ob.remove(sent.shift()!);
      return k;
    };
    for (let i = 0; i < 200; i++) await commit(); // warm JIT, pages and WAL
    // Building the rows (JSON.stringify of the bodies) is the caller's cost, timed apart below.
    const c0 = process.cpuUsage();
    let rows = 0;
    for (let i = 0; i < commits; i++) rows += await commit();
    const c = process.cpuUsage(c0);
    const b0 = process.cpuUsage();
    for (let i = 0, m = 0; i < commits; i++) {
      const k = rowsPer + (i % 31);
      Array.from({ length: k }, (_, j) => ({ id: `edge-ab.${m + j}`, life: (m + j) % 20 === 0, at: T0 + m + j, body: body(m + j) }));
      m += k;
    }
    const b = process.cpuUsage(b0);
    ob.close();
    process.stdout.write(`${JSON.stringify({ usPerRow: (c.user + c.system - b.user - b.system) / rows })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
const [first, ...rest] = process.argv.slice(2);
if (first === '--one') {
  await one(rest[0]!, Number(rest[1]), Number(rest[2]));
} else {
  if (!first) {
    process.stderr.write('SS_BENCH_AB: usage: bench/outbox-ab.ts <other checkout> [rounds] [commits] [rows]\n');
    process.exit(2);
  }
  const [roundsArg = '5', commitsArg = '1500', rowsArg = '100'] = rest;
  const other = resolve(first);
  const run = (root: string) => async () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', root, commitsArg, rowsArg], { cwd: here, encoding: 'utf8' });
    return { value: (JSON.parse(out.trim().split('\n').at(-1)!) as { usPerRow: number }).usPerRow };
  };
  const start = machine();
  const runs = await alternate([{ name: 'this', run: run(here) }, { name: 'other', run: run(other) }], Number(roundsArg), (s) => process.stderr.write(`${s}\n`));
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const ratio = pairedRatio(runs.get('this')!, runs.get('other')!, other);
  process.stdout.write(`outbox CPU µs/row: this ${values(runs.get('this')!).map(r2).join(' ')}; other ${values(runs.get('other')!).map(r2).join(' ')}; per-pair this/other median ${r2(ratio.median)} (${r2(ratio.min)}–${r2(ratio.max)})\n`);
  process.stdout.write(`${JSON.stringify({ thisUsPerRow: values(runs.get('this')!), otherUsPerRow: values(runs.get('other')!), ratio, start, end: machine() })}\n`);
}
