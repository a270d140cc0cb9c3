import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Make `app.close()` end connections that never sent a request. Browsers open such connections
 * ahead of need (preconnect). fastify closes idle keep-alive connections at close, but Node's
 * `closeIdleConnections` passes over a connection that has not sent a request yet. That
 * connection then holds the close open until Node's `headersTimeout` drops it: measured 68 s when
 * a cluster worker closed after a Chromium page had been served (test/cluster/pages.test.ts).
 * Ending one loses nothing, because no request was ever started on it. Connections carrying a
 * request are still let finish, as fastify does, and are ended once their answer is out.
 */
export function closeQuietConnections(app: FastifyInstance): void {
  const quiet = new Set<Socket>();
  let closing = false;
  // Over TLS a request's socket is the TLS socket, which 'secureConnection' hands out ('connection'
  // gives the TCP socket under it).
  const event = 'setSecureContext' in app.server ? 'secureConnection' : 'connection';
  app.server.on(event, (s: Socket) => {
    if (closing) {
      s.destroy();
      return;
    }
    quiet.add(s);
    s.once('close', () => quiet.delete(s));
  });
  app.server.on('request', (req: { socket: Socket }, res: { once(e: 'finish', f: () => void): void }) => {
    quiet.delete(req.socket);
    // A keep-alive connection whose answer is sent after close began would wait idle for the next
    // request until keepAliveTimeout (fastify's: 72 s): end it once its answer is out.
    res.once('finish', () => {
      if (closing) req.socket.end();
    });
  });
  app.addHook('preClose', async () => {
    closing = true;
    for (const s of quiet) s.destroy();
    quiet.clear();
  });
}
