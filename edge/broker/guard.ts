import type { Socket } from 'node:net';
import type { EdgeCode } from '../errors.ts';
import { randomBytes } from 'node:crypto';
import { checkConnect, remainingLength } from './connect-check.ts';
import { FrameScanner, type OversizedPublish } from './frame-scanner.ts';

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
  /**
   * PUBLISH packets over maxPacketBytes up to this are read through without buffering and
   * dead-lettered (see frame-scanner.ts); above it the connection closes. Default: maxPacketBytes.
   */
  hardMaxPacketBytes?: number;
}

type Reject = (code: EdgeCode, detail: string) => void;

export { FrameScanner } from './frame-scanner.ts';

/**
 * Stand-ins for oversized PUBLISH packets carry a random token in front of the payload prefix;
 * `takeOversized` recognises one (a device cannot guess the token) and returns the original
 * payload size.
 */
const oversized = new WeakMap<Socket, Map<string, number>>();
const TOKEN_BYTES = 16;

export function takeOversized(socket: Socket, payload: Buffer): number | undefined {
  const m = oversized.get(socket);
  if (!m || m.size === 0 || payload.length < TOKEN_BYTES) return undefined;
  const key = payload.toString('hex', 0, TOKEN_BYTES);
  const size = m.get(key);
  if (size !== undefined) m.delete(key);
  return size;
}

/** Strip the token from a stand-in's payload. */
export const oversizedPrefix = (payload: Buffer): Buffer => payload.subarray(TOKEN_BYTES);

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function standIn(socket: Socket, p: OversizedPublish): Buffer {
  const token = randomBytes(TOKEN_BYTES);
  let m = oversized.get(socket);
  if (!m) oversized.set(socket, (m = new Map()));
  m.set(token.toString('hex'), p.payloadBytes);
  const tl = Buffer.alloc(2);
  tl.writeUInt16BE(p.topic.length);
  const id = p.packetId === undefined ? Buffer.alloc(0) : Buffer.from([p.packetId >> 8, p.packetId & 0xff]);
  const body = Buffer.concat([tl, p.topic, id, token, p.prefix]);
  return Buffer.concat([Buffer.from([p.first]), varint(body.length), body]);
}

const CONNACK = (rc: number): Buffer => Buffer.from([0x20, 0x02, 0x00, rc]);

/** Install the guard on a fresh socket. Returns false if the socket is already gone. */
export function attachGuard(socket: Socket, opts: GuardOptions, reject: Reject): boolean {
  if (socket.destroyed) return false;
  const maxConnect = opts.maxConnectBytes ?? 4096;
  const push = socket.push;
  let pushed = true;
  const scanner = new FrameScanner({
    maxPacketBytes: opts.maxPacketBytes,
    ...(opts.hardMaxPacketBytes !== undefined ? { hardMaxPacketBytes: opts.hardMaxPacketBytes } : {}),
    emit: (b) => {
      pushed = push.call(socket, b);
    },
    onOversized: (p) => standIn(socket, p),
  });
  const forward = (buf: Buffer, from = 0): boolean => {
    pushed = true;
    const bad = scanner.scan(buf, from);
    if (bad) {
      kill(bad.code, bad.reason);
      return false;
    }
    return pushed;
  };
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
    if (connected) return forward(buf);
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
    return forward(all, total);
  } as typeof socket.push;
  return true;
}
