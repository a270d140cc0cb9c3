import { openDb } from '../common/sqlite.ts';
import { mkdtempSync } from 'node:fs';
const db = openDb(mkdtempSync('/tmp/fs-') + '/a.db');
db.exec('CREATE TABLE t (x TEXT)');
const st = db.prepare('INSERT INTO t VALUES (?)');
const big = 'x'.repeat(350_000);
for (const payload of ['x', big]) {
  const ts: number[] = [];
  for (let i = 0; i < 30; i++) { const t = performance.now(); db.transaction(() => st.run(payload))(); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b);
  console.log(payload.length, 'commit ms p50', ts[15]!.toFixed(2), 'p90', ts[27]!.toFixed(2));
}
