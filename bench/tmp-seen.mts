import { openDb } from '../common/sqlite.ts';
import { rmSync } from 'node:fs';
for (const mode of ['single', 'multi', 'single', 'multi']) {
  rmSync('/tmp/seen-bench.db', { force: true }); rmSync('/tmp/seen-bench.db-wal', { force: true });
  const db = openDb('/tmp/seen-bench.db');
  db.exec('CREATE TABLE seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;');
  const one = db.prepare('INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)');
  const K = 100;
  const many = db.prepare(`INSERT OR IGNORE INTO seen (id, at) VALUES ${Array(K).fill('(?, ?)').join(',')} RETURNING id`);
  const N = 200_000;
  const ids = Array.from({ length: N }, (_, i) => `bench-edge-${i % 4}.${i.toString(36)}.${i}`);
  const t0 = performance.now();
  for (let b = 0; b < N; b += 1000) {
    db.transaction(() => {
      if (mode === 'single') { for (let i = b; i < b + 1000; i++) one.run(ids[i], 1); }
      else {
        for (let i = b; i < b + 1000; i += K) {
          const args: (string|number)[] = [];
          for (let j = i; j < i + K; j++) args.push(ids[j]!, 1);
          many.all(...args);
        }
      }
    })();
  }
  console.log(mode, ((performance.now() - t0) * 1000 / N).toFixed(2), 'µs/event');
  db.close();
}
