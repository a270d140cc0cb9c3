import { benchHubIngest } from './hub-ingest.ts';
for (const c of [Number(process.argv[2] ?? 1)]) {
  const r = await benchHubIngest({ events: 100_000, edges: 4, writer: { concurrency: c } });
  console.log(c, JSON.stringify(r));
}
