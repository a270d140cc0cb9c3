import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAckedIds } from '../../bench/lib/acked-ids.ts';
import { benchSite } from '../../bench/suites/fixtures.ts';
import { startTwin, stopTwin } from '../../bench/suites/soak.ts';

// The soak's loss check (bench/suites/soak.ts): each acknowledged publish, named by the edge's own
// event id, must be at the hub side. Run against the real edge process, then against received
// lists with one id taken out, one made up and one resent: each must show.
const dir = mkdtempSync(join(tmpdir(), 'safestar-acked-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench: acknowledged publishes checked by event id', () => {
  it('finds every acked publish of a real edge run at the hub side, and notices one missing, one made up, one resent', async () => {
    const site = benchSite({ devices: 12, edgeId: 'edge-ids', hubUrl: 'mqtt://127.0.0.1:1', dataDir: dir, payloadsPerDevice: 6 });
    // Every device at a fixed rate (open loop), past its fixture messages into fresh ones.
    const clients = site.clients.map((c) => ({ ...c, ratePerSecond: 8 }));
    // The soak's own set-up (edge, hub stand-in, load generator logging its acks).
    const twin = await startTwin(site, clients, dir, 2_000);
    try {
      const res = await twin.gen.run();
      expect(res.acked).toBeGreaterThan(12 * 6);
      const deadline = Date.now() + 30_000;
      while ((await twin.stub.counts()).events < res.acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const received = join(dir, 'received.txt');
      await twin.stub.idsTo(received);
      const ok = checkAckedIds(site.config, clients, twin.ackedLog, received);
      expect(ok).toMatchObject({ acked: res.acked, expected: res.acked, missing: 0, undecodable: 0, unexplained: 0, resends: 0 });

      const ids = readFileSync(received, 'utf8').split('\n');
      const altered = join(dir, 'altered.txt');
      writeFileSync(altered, [...ids.slice(1), 'edge-ids.madeUpIdNobodySent000', ids[2]!].join('\n'));
      const bad = checkAckedIds(site.config, clients, twin.ackedLog, altered);
      expect(bad).toMatchObject({ missing: 1, missingSample: [ids[0]], unexplained: 1, resends: 1 });
    } finally {
      await stopTwin(twin);
    }
  }, 90_000);
});
