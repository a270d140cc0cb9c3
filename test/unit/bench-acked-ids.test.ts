import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAckedIds } from '../../bench/lib/acked-ids.ts';
import { spawnEdge } from '../../bench/lib/edge-process.ts';
import { LoadGenerator } from '../../bench/loadgen/driver.ts';
import { HubStub } from '../../bench/loadgen/hub-stub-driver.ts';
import { benchSite } from '../../bench/suites/fixtures.ts';

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
    const stub = await HubStub.start();
    try {
      const file = join(dir, 'site.json');
      writeFileSync(file, JSON.stringify({ ...site.config, dataDir: join(dir, 'edge'), uplink: { ...site.config.uplink, url: stub.url } }));
      const edge = await spawnEdge(file);
      try {
        const ackedLog = join(dir, 'acked.jsonl');
        const { gen } = await LoadGenerator.connect({ url: edge.brokerUrl, clients, qos: 1, window: 4, durationMs: 2_000, ackedLog });
        try {
          const res = await gen.run();
          expect(res.acked).toBeGreaterThan(12 * 6);
          const deadline = Date.now() + 30_000;
          while ((await stub.counts()).events < res.acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          const received = join(dir, 'received.txt');
          await stub.idsTo(received);
          const ok = checkAckedIds(site.config, clients, ackedLog, received);
          expect(ok).toMatchObject({ acked: res.acked, expected: res.acked, missing: 0, undecodable: 0, unexplained: 0, resends: 0 });

          const ids = readFileSync(received, 'utf8').split('\n');
          const altered = join(dir, 'altered.txt');
          writeFileSync(altered, [...ids.slice(1), 'edge-ids.madeUpIdNobodySent000', ids[2]!].join('\n'));
          const bad = checkAckedIds(site.config, clients, ackedLog, altered);
          expect(bad).toMatchObject({ missing: 1, missingSample: [ids[0]], unexplained: 1, resends: 1 });
        } finally {
          await gen.stop();
        }
      } finally {
        await edge.stop();
      }
    } finally {
      await stub.stop();
    }
  }, 90_000);
});
