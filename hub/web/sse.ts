import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SseOptions {
  /** Most streams open at once on this hub (each holds a socket). */
  max: number;
  /** A comment line this often keeps proxies from closing an idle stream (ms). */
  heartbeatMs: number;
}

export const SSE_DEFAULTS: SseOptions = { max: 500, heartbeatMs: 20_000 };

export interface SseStream {
  /** Send one event; a closed stream ignores it. */
  send(event: string, data: unknown): void;
  /** Runs once when the client goes away or the hub closes. */
  onClose(fn: () => void): void;
}

/**
 * Server-sent events for the live views (the console, the compound page). One place owns every
 * open stream so the hub can end them all at close (an open stream would hold `app.close` up),
 * and so their number is bounded.
 */
export class SseStreams {
  private readonly open = new Set<() => void>();

  constructor(private readonly o: SseOptions) {}

  get size(): number {
    return this.open.size;
  }

  get full(): boolean {
    return this.open.size >= this.o.max;
  }

  /** Take over the reply as an event stream (the caller checked `full` and auth first). */
  start(req: FastifyRequest, reply: FastifyReply): SseStream {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx and similar proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    // Reconnect after 3 s when the hub restarts (EventSource does so by itself).
    res.write('retry: 3000\n\n');
    const closers: (() => void)[] = [];
    let closed = false;
    const beat = setInterval(() => res.write(': ping\n\n'), this.o.heartbeatMs);
    beat.unref();
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(beat);
      this.open.delete(close);
      for (const fn of closers) fn();
      if (!res.writableEnded) res.end();
    };
    this.open.add(close);
    req.raw.on('close', close);
    res.on('error', close);
    return {
      send(event, data) {
        if (closed) return;
        // JSON has no raw newlines, so one data line always holds the whole event.
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      onClose(fn) {
        if (closed) fn();
        else closers.push(fn);
      },
    };
  }

  /** End every stream (the hub is closing). */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }
}
