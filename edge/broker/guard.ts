import type { Socket } from 'node:net';
import type { EdgeCode } from '../errors.ts';
import { checkConnect, remainingLength } from './connect-check.ts';

/**
 * Byte-level guard in front of aedes (issue 4, known traps). aedes has no packet size limit and
 * buffers whatever a socket sends before CONNECT until its 30 s timeout: two such sockets took
 * it from 53 to 250 MB in a second. The guard holds back a new connection's bytes until one
 * complete, valid CONNECT (≤ maxConnectBytes) has arrived within connectTimeoutMs, then tracks
 * packet boundaries and cuts any connection that announces a packet over maxPacketBytes, before
 * the parser starts buffering it. Memory per hostile socket stays ≤ maxConnectBytes.
 *
 * It hooks the socket's `push` (what net.Socket calls for every chunk read from the OS) rather
 * than piping through another stream: no copy and no extra stream hop on the hot path.
 */
export interface GuardOptions {
  /** Largest MQTT packet accepted after CONNECT (fixed header + remaining length), bytes. */
  maxPacketBytes: number;
  /** A complete CONNECT must arrive within this, ms. */
  connectTimeoutMs: number;
  /** Largest CONNECT accepted, bytes. */
  maxConnectBytes?: number;
}

type Reject = (code: EdgeCode, detail: string) => void;

/** Scans packet boundaries across chunks; pure state, no I/O. */
export class FrameScanner {
  private skip = 0;
  private hdr = 0; // 0: at a packet's first byte; 1..4: reading remaining-length bytes
  private val = 0;
  private mul = 1;

  constructor(private readonly maxPacketBytes: number) {}

  /** Returns undefined if fine, or the reason to cut the connection. */
  feed(chunk: Buffer, from = 0): string | undefined {
    const len = chunk.length;
    let i = from;
    while (i < len) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - i);
        this.skip -= n;
        i += n;
        continue;
      }
      if (this.hdr === 0) {
        i++;
        this.hdr = 1;
        this.val = 0;
        this.mul = 1;
        continue;
      }
      const b = chunk[i++] as number;
      this.val += (b & 0x7f) * this.mul;
      this.mul *= 128;
      if ((b & 0x80) === 0) {
        const total = 1 + this.hdr + this.val;
        if (total > this.maxPacketBytes) return `packet of ${total} bytes > ${this.maxPacketBytes}`;
        this.skip = this.val;
        this.hdr = 0;
      } else if (++this.hdr > 4) {
        return 'malformed remaining length [MQTT-2.2.3]';
      }
    }
    return undefined;
  }
}

const CONNACK = (rc: number): Buffer => Buffer.from([0x20, 0x02, 0x00, rc]);

/** Install the guard on a fresh socket. Returns false if the socket is already gone. */
export function attachGuard(socket: Socket, opts: GuardOptions, reject: Reject): boolean {
  if (socket.destroyed) return false;
  const maxConnect = opts.maxConnectBytes ?? 4096;
  const scanner = new FrameScanner(opts.maxPacketBytes);
  const push = socket.push;
  let held: Buffer | undefined;
  let connected = false;
  let dead = false;

  const kill = (code: EdgeCode, detail: string, connack?: number): void => {
    if (dead) return;
    dead = true;
    clearTimeout(timer);
    reject(code, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ${detail}`);
    if (connack !== undefined && socket.writable) socket.end(CONNACK(connack));
    setImmediate(() => socket.destroy());
  };
  const timer = setTimeout(() => kill('SS_GUARD_CONNECT_TIMEOUT', `no CONNECT within ${opts.connectTimeoutMs} ms`), opts.connectTimeoutMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));

  socket.push = function guardedPush(this: Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null || dead) return dead ? false : push.call(this, chunk, encoding);
    const buf = chunk as Buffer;
    if (connected) {
      const bad = scanner.feed(buf);
      if (bad) {
        kill('SS_GUARD_PACKET_SIZE', bad);
        return false;
      }
      return push.call(this, buf, encoding);
    }
    held = held ? Buffer.concat([held, buf]) : buf;
    if (held[0] !== 0x10) {
      kill('SS_GUARD_FIRST_PACKET', `first byte 0x${(held[0] ?? 0).toString(16)}`);
      return false;
    }
    const rl = remainingLength(held);
    if (rl === -1) {
      kill('SS_GUARD_CONNECT_INVALID', 'malformed remaining length');
      return false;
    }
    const total = rl === undefined ? undefined : 1 + rl.bytes + rl.value;
    if ((total ?? held.length) > maxConnect) {
      kill('SS_GUARD_PACKET_SIZE', `CONNECT of ${total ?? `≥ ${held.length}`} bytes > ${maxConnect}`);
      return false;
    }
    if (total === undefined || held.length < total) return true; // wait for the rest of CONNECT
    const c = checkConnect(held.subarray(0, total));
    if (!c.ok) {
      kill('SS_GUARD_CONNECT_INVALID', c.reason, c.returnCode);
      return false;
    }
    connected = true;
    clearTimeout(timer);
    const all = held;
    held = undefined;
    const bad = scanner.feed(all, total);
    if (bad) {
      kill('SS_GUARD_PACKET_SIZE', bad);
      return false;
    }
    return push.call(this, all, encoding);
  } as typeof socket.push;
  return true;
}
