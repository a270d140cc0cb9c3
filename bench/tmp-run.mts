import { benchHubIngest } from './hub-ingest.ts';
const r = await benchHubIngest({ events: 100_000, writer: { concurrency: Number(process.argv[2] ?? 2) } });
console.log(process.argv[2], JSON.stringify(r));
