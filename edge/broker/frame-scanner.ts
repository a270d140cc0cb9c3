import type { EdgeCode } from '../errors.ts';

/**
 * Packet boundaries of one MQTT byte stream after CONNECT, chunk by chunk, without buffering
 * packets (issue 12). It decides three things aedes would get wrong:
 * - a PUBLISH over `maxPacketBytes` but ≤ `hardMaxPacketBytes` is a poison message: closing the
 *   connection makes the device resend it on every reconnect and blocks everything queued behind
 *   it. Its bytes are read through and dropped; once it has passed, a small stand-in PUBLISH
 *   (same header, topic and packet id, the first `prefixBytes` of the payload) goes to aedes
 *   instead, so it is acknowledged and dead-lettered in order with the device's other messages.
 * - anything above the hard cap, and any other packet type over `maxPacketBytes`, closes.
 * - SUBSCRIBE / UNSUBSCRIBE are checked on their bytes: mqtt-packet decodes invalid UTF-8 as
 *   U+FFFD and accepts an UNSUBSCRIBE with no topic; both must close [MQTT-1.5.3-1, MQTT-3.10.3-2].
 * Output goes through `emit` (the unchanged chunk in the common case: no copy).
 */
export interface OversizedPublish {
  /** The PUBLISH fixed-header byte (type, DUP, QoS, RETAIN). */
  first: number;
  /** Topic bytes as sent (length prefix excluded). */
  topic: Buffer;
  packetId: number | undefined;
  /** First bytes of the payload. */
  prefix: Buffer;
  /** Whole packet size, bytes. */
  size: number;
  /** Payload size, bytes. */
  payloadBytes: number;
}

export interface ScannerOptions {
  maxPacketBytes: number;
  /** Oversized PUBLISH packets up to this are read through and replaced (default: maxPacketBytes, i.e. off). */
  hardMaxPacketBytes?: number;
  /** Payload bytes kept of an oversized PUBLISH (default 1024). */
  prefixBytes?: number;
  /** Bytes for aedes, in order. */
  emit?: (b: Buffer) => void;
  /** Build the stand-in packet for an oversized PUBLISH (default: nothing goes to aedes). */
  onOversized?: (p: OversizedPublish) => Buffer | undefined;
}

export interface ScanVerdict {
  code: EdgeCode;
  reason: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Longest topic we read of an oversized PUBLISH; no device topic comes near it. */
const MAX_TOPIC_BYTES = 1024;
const noop = (): void => undefined;

interface Poison {
  first: number;
  size: number;
  /** Remaining length (variable header + payload). */
  rl: number;
  left: number;
  head: Buffer;
  headLen: number;
  need: number;
}

export class FrameScanner {
  private skip = 0;
  private hdr = 0; // 0: at a packet's first byte; 1..4: reading remaining-length bytes
  private val = 0;
  private mul = 1;
  private first = 0;
  private carry: Buffer | undefined;
  private poison: Poison | undefined;
  /** SUBSCRIBE / UNSUBSCRIBE being collected (small: ≤ maxPacketBytes). */
  private sub: { type: number; buf: Buffer; at: number } | undefined;
  private readonly hardMax: number;
  private readonly prefixBytes: number;
  private readonly emit: (b: Buffer) => void;

  private readonly opts: ScannerOptions;

  constructor(maxPacketBytesOrOpts: number | ScannerOptions) {
    const o = typeof maxPacketBytesOrOpts === 'number' ? { maxPacketBytes: maxPacketBytesOrOpts } : maxPacketBytesOrOpts;
    this.opts = o;
    this.hardMax = Math.max(o.hardMaxPacketBytes ?? o.maxPacketBytes, o.maxPacketBytes);
    this.prefixBytes = o.prefixBytes ?? 1024;
    this.emit = o.emit ?? noop;
  }

  /** Bytes before `from` pass unchecked (the CONNECT). Returns a verdict when the connection must close. */
  feed(input: Buffer, from = 0): string | undefined {
    return this.scan(input, from)?.reason;
  }

  /** As `feed`, with the code. */
  scan(input: Buffer, from = 0): ScanVerdict | undefined {
    let chunk = input;
    if (this.carry) {
      chunk = Buffer.concat([this.carry, input.subarray(from)]);
      this.carry = undefined;
      from = 0;
    }
    const len = chunk.length;
    // Start of the bytes still to emit; none while inside an oversized PUBLISH.
    let pass = this.poison ? len : 0;
    let pktStart = from;
    let i = from;
    while (i < len) {
      const p = this.poison;
      if (p) {
        let n = Math.min(p.left, len - i);
        if (p.headLen < p.need) {
          // Only up to `need`: it grows once the topic length is known.
          const take = Math.min(n, p.need - p.headLen);
          n = take;
          chunk.copy(p.head, p.headLen, i, i + take);
          p.headLen += take;
          if (p.headLen >= 2 && p.head.readUInt16BE(0) > MAX_TOPIC_BYTES) {
            return { code: 'SS_GUARD_PACKET_SIZE', reason: `oversized PUBLISH with a ${p.head.readUInt16BE(0)}-byte topic` };
          }
          if (p.headLen >= 2) p.need = Math.min(p.rl, 2 + p.head.readUInt16BE(0) + (((p.first >> 1) & 3) > 0 ? 2 : 0) + this.prefixBytes);
        }
        p.left -= n;
        i += n;
        if (p.left === 0) {
          this.poison = undefined;
          const v = this.finishPoison(p);
          if (v) return v;
          pass = i;
        }
        continue;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - i);
        if (this.sub) {
          chunk.copy(this.sub.buf, this.sub.at, i, i + n);
          this.sub.at += n;
        }
        this.skip -= n;
        i += n;
        if (this.skip === 0 && this.sub) {
          const v = checkSubscription(this.sub.type, this.sub.buf);
          this.sub = undefined;
          if (v) return v;
        }
        continue;
      }
      if (this.hdr === 0) {
        pktStart = i;
        this.first = chunk[i++] as number;
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
        const type = this.first >> 4;
        this.hdr = 0;
        if (total > this.opts.maxPacketBytes) {
          if (type !== 3 || total > this.hardMax) return { code: 'SS_GUARD_PACKET_SIZE', reason: `packet of ${total} bytes > ${type === 3 ? this.hardMax : this.opts.maxPacketBytes}` };
          // Poison PUBLISH: everything before it goes now; its own bytes never reach aedes.
          if (pktStart > pass) this.emit(chunk.subarray(pass, pktStart));
          pass = len;
          this.poison = { first: this.first, size: total, rl: this.val, left: this.val, head: Buffer.alloc(Math.min(this.val, 2 + MAX_TOPIC_BYTES + 2 + this.prefixBytes)), headLen: 0, need: Math.min(this.val, 2) };
          if (this.val === 0) return { code: 'SS_GUARD_PACKET_SIZE', reason: 'empty oversized PUBLISH' };
          continue;
        }
        if ((type === 8 || type === 10) && this.val > 0) this.sub = { type, buf: Buffer.allocUnsafe(this.val), at: 0 };
        else if (type === 8 || type === 10) return { code: 'SS_BROKER_PROTOCOL', reason: `${type === 8 ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} without packet id or topic filter` };
        this.skip = this.val;
      } else if (++this.hdr > 4) {
        return { code: 'SS_GUARD_PACKET_SIZE', reason: 'malformed remaining length [MQTT-2.2.3]' };
      }
    }
    if (this.hdr > 0) {
      // The chunk ends inside a fixed header: hold those bytes until the size is known, so an
      // oversized PUBLISH's header never reaches aedes.
      this.carry = Buffer.from(chunk.subarray(pktStart));
      this.hdr = 0;
      if (pktStart > pass) this.emit(chunk.subarray(pass, pktStart));
      return undefined;
    }
    if (pass < len) this.emit(pass === 0 ? chunk : chunk.subarray(pass));
    return undefined;
  }

  private finishPoison(p: Poison): ScanVerdict | undefined {
    const head = p.head.subarray(0, p.headLen);
    if (head.length < 2) return { code: 'SS_GUARD_PACKET_SIZE', reason: 'truncated oversized PUBLISH' };
    const topicLen = head.readUInt16BE(0);
    const qos = (p.first >> 1) & 3;
    const varEnd = 2 + topicLen + (qos > 0 ? 2 : 0);
    if (head.length < varEnd) return { code: 'SS_GUARD_PACKET_SIZE', reason: 'oversized PUBLISH with a malformed variable header' };
    const stand = this.opts.onOversized?.({
      first: p.first,
      topic: head.subarray(2, 2 + topicLen),
      packetId: qos > 0 ? head.readUInt16BE(2 + topicLen) : undefined,
      prefix: head.subarray(varEnd),
      size: p.size,
      payloadBytes: p.rl - varEnd,
    });
    if (stand) this.emit(stand);
    return undefined;
  }
}

/** [MQTT-1.5.3-1/-2] on every filter; at least one filter [MQTT-3.8.3-3, MQTT-3.10.3-2]. */
function checkSubscription(type: number, body: Buffer): ScanVerdict | undefined {
  let pos = 2; // packet id
  let filters = 0;
  while (pos + 2 <= body.length) {
    const n = body.readUInt16BE(pos);
    pos += 2;
    if (pos + n > body.length) return undefined; // malformed: mqtt-packet refuses it, aedes closes
    try {
      if (utf8.decode(body.subarray(pos, pos + n)).includes('\u0000')) return { code: 'SS_BROKER_UTF8', reason: 'topic filter contains U+0000 [MQTT-1.5.3-2]' };
    } catch {
      return { code: 'SS_BROKER_UTF8', reason: `${type === 8 ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} topic filter is not valid UTF-8 [MQTT-1.5.3-1]` };
    }
    pos += n + (type === 8 ? 1 : 0);
    filters++;
  }
  if (filters === 0) {
    return { code: 'SS_BROKER_PROTOCOL', reason: type === 8 ? 'SUBSCRIBE with no topic filter [MQTT-3.8.3-3]' : 'UNSUBSCRIBE with no topic filter [MQTT-3.10.3-2]' };
  }
  return undefined;
}
