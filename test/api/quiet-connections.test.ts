import { connect } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { closeQuietConnections } from '../../common/api/quiet-connections.ts';

// A connection that never sends a request (a browser's preconnect) used to hold app.close() for
// Node's headersTimeout (68 s in test/cluster/pages.test.ts). With the helper, close ends it at
// once, and a request already in flight still gets its answer.
describe('closeQuietConnections', () => {
  it('ends silent connections at close and lets a request in flight finish', async () => {
    const app = Fastify({ logger: false });
    closeQuietConnections(app);
    app.get('/slow', async () => {
      await new Promise((r) => setTimeout(r, 300));
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const a = app.server.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const silent = connect(port, '127.0.0.1');
    await new Promise<void>((r) => silent.once('connect', () => r()));
    const silentClosed = new Promise<void>((r) => silent.once('close', () => r()));
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    await new Promise((r) => setTimeout(r, 50)); // the request has reached the route
    const t0 = Date.now();
    await app.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
    await silentClosed;
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  }, 30_000);
});
