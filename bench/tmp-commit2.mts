import { openDb } from '../common/sqlite.ts';
import { mkdtempSync } from 'node:fs';
const N = 100_000;
const ids = Array.from({ length: N }, (_, n) => `bench-edge-0.${n.toString(36)}.${n}`);
const line = 'x'.repeat(300);
for (const mode of ['seen', 'seen-noidx', 'chunks', 'both', 'seen', 'chunks']) {
  const dir = mkdtempSync('/tmp/cm2-');
  const db = openDb(`${dir}/a.db`);
  db.exec(`CREATE TABLE seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID; ${mode === 'seen-noidx' ? '' : 'CREATE INDEX seen_at ON seen(at);'} CREATE TABLE queue (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL, lines TEXT NOT NULL);`);
  const st = db.prepare('INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)');
  const ch = db.prepare('INSERT INTO queue (n, lines) VALUES (?, ?)');
  const t = performance.now();
  for (let b = 0; b < N; b += 4000) {
    db.transaction(() => {
      const lines: string[] = [];
      for (let i = b; i < b + 4000; i++) {
        if (mode.startsWith('seen') || mode === 'both') st.run(ids[i], 1764374400000 + i);
        if (mode === 'chunks' || mode === 'both') { lines.push(line); if (lines.length === 500) { ch.run(500, lines.join('\n')); lines.length = 0; } }
      }
    })();
  }
  console.log(mode, ((performance.now() - t) * 1000 / N).toFixed(2), 'µs/ev');
  db.close();
}
