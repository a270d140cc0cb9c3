import type { Socket } from 'node:net';
import type { HubErrorCode } from './errors.ts';

/**
 * Packet-size guard in front of the hub's aedes. aedes (1.2) has no packet size limit: mqtt-packet
 * buffers a packet whole before anyone can look at it, so one 200 MB publish took the hub from 125
 * to 531 MB (issue 12). This reads only fixed headers: the first packet must be a CONNECT of at
 * most `maxConnectBytes` (an unauthenticated client can't make the hub hold more than that), and
 * a connection that announces any packet over `maxPacketBytes` is cut before its body is read.
 *
 * It hooks the socket's `push` (what net.Socket and tls.TLSSocket call with every chunk read,
 * decrypted for TLS) rather than piping through another stream: no copy on the hot path.
 */
export interface HubGuardOptions {
  maxPacketBytes: number;
  maxConnectBytes?: number;
}

export type GuardReject = (code: HubErrorCode, detail: string) => void;

export function attachHubGuard(socket: Socket, opts: HubGuardOptions, reject: GuardReject): void {
  const maxConnect = opts.maxConnectBytes ?? 4096;
  const push = socket.push;
  let skip = 0; // body bytes of the current packet still to pass through
  let hdr = 0; // 0: at a packet's first byte; 1..4: reading remaining-length bytes
  let first = true;
  let type = 0;
  let val = 0;
  let mul = 1;
  let dead = false;

  const kill = (code: HubErrorCode, detail: string): false => {
    if (!dead) {
      dead = true;
      reject(code, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ${detail}`);
      socket.destroy();
    }
    return false;
  };

  socket.push = function guardedPush(this: Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (dead) return false;
    if (chunk === null) return push.call(this, chunk, encoding);
    const buf = chunk as Buffer;
    let i = 0;
    while (i < buf.length) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length - i);
        skip -= n;
        i += n;
        continue;
      }
      const b = buf[i++] as number;
      if (hdr === 0) {
        type = b >> 4;
        if (first && type !== 1) return kill('SS_HUB_MQTT_FIRST_PACKET', `first packet type ${type}, not CONNECT`);
        hdr = 1;
        val = 0;
        mul = 1;
        continue;
      }
      val += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        const total = 1 + hdr + val;
        const max = first ? maxConnect : opts.maxPacketBytes;
        if (total > max) return kill('SS_HUB_MQTT_PACKET_SIZE', `${first ? 'CONNECT' : `packet type ${type}`} of ${total} bytes > ${max}`);
        first = false;
        skip = val;
        hdr = 0;
      } else if (++hdr > 4) {
        return kill('SS_HUB_MQTT_PACKET_SIZE', 'malformed remaining length [MQTT-2.2.3]');
      }
    }
    return push.call(this, buf, encoding);
  } as typeof socket.push;
}
