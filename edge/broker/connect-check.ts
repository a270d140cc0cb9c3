/**
 * A strict MQTT 3.1 / 3.1.1 CONNECT check on raw bytes, run before aedes sees the connection.
 * aedes accepts what the spec says to refuse (issue 4, known traps): an empty client id without
 * clean session, invalid UTF-8 in strings, a password without a username. mqtt-packet decodes
 * strings leniently (invalid UTF-8 becomes U+FFFD), so this has to happen on the bytes.
 */
export type ConnectCheck =
  | { ok: true; clientId: string; clean: boolean }
  /** `returnCode` set: answer with CONNACK(returnCode) then close; unset: close without answer. */
  | { ok: false; reason: string; returnCode?: 1 | 2 };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parse the fixed header's remaining length. undefined = need more bytes; -1 = malformed. */
export function remainingLength(buf: Buffer, offset = 1): { value: number; bytes: number } | undefined | -1 {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    const b = buf[offset + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return { value, bytes: i + 1 };
    mul *= 128;
  }
  return -1; // [MQTT-2.2.3]: at most four bytes
}

class Reader {
  pos: number;
  constructor(private readonly buf: Buffer, start: number, private readonly end: number) {
    this.pos = start;
  }
  u8(): number | undefined {
    if (this.pos >= this.end) return undefined;
    return this.buf[this.pos++];
  }
  u16(): number | undefined {
    if (this.pos + 2 > this.end) return undefined;
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  bytes(): Buffer | undefined {
    const n = this.u16();
    if (n === undefined || this.pos + n > this.end) return undefined;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** [MQTT-1.5.3-1] well-formed UTF-8, [MQTT-1.5.3-2] no U+0000. */
  string(): string | undefined | null {
    const b = this.bytes();
    if (b === undefined) return undefined;
    try {
      const s = utf8.decode(b);
      return s.includes('\u0000') ? null : s;
    } catch {
      return null;
    }
  }
}

/** Check one complete CONNECT packet (`packet` holds exactly the packet). */
export function checkConnect(packet: Buffer): ConnectCheck {
  if (packet[0] !== 0x10) return { ok: false, reason: 'first packet is not CONNECT with flags 0 [MQTT-3.1.0-1, MQTT-2.2.2-2]' };
  const rl = remainingLength(packet);
  if (rl === undefined || rl === -1) return { ok: false, reason: 'malformed remaining length' };
  const r = new Reader(packet, 1 + rl.bytes, 1 + rl.bytes + rl.value);
  const name = r.string();
  const level = r.u8();
  if (typeof name !== 'string' || level === undefined) return { ok: false, reason: 'truncated variable header' };
  if (!((name === 'MQTT' && level === 4) || (name === 'MQIsdp' && level === 3))) {
    return { ok: false, reason: `protocol ${name} level ${level} not supported (MQTT 3.1 / 3.1.1 only)`, returnCode: 1 };
  }
  const flags = r.u8();
  const keepalive = r.u16();
  if (flags === undefined || keepalive === undefined) return { ok: false, reason: 'truncated variable header' };
  if (flags & 0x01) return { ok: false, reason: 'reserved connect flag set [MQTT-3.1.2-3]' };
  const clean = (flags & 0x02) !== 0;
  const will = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 0x03;
  const willRetain = (flags & 0x20) !== 0;
  const hasPassword = (flags & 0x40) !== 0;
  const hasUser = (flags & 0x80) !== 0;
  if (willQos === 3) return { ok: false, reason: 'will QoS 3 [MQTT-3.1.2-14]' };
  if (!will && (willQos !== 0 || willRetain)) return { ok: false, reason: 'will QoS/retain without will flag [MQTT-3.1.2-13, -15]' };
  if (hasPassword && !hasUser) return { ok: false, reason: 'password without user name [MQTT-3.1.2-22]' };
  const clientId = r.string();
  if (clientId === null) return { ok: false, reason: 'client id is not valid UTF-8 [MQTT-1.5.3-1]', returnCode: 2 };
  if (clientId === undefined) return { ok: false, reason: 'truncated client id' };
  if (clientId.length === 0 && !clean) return { ok: false, reason: 'empty client id requires clean session [MQTT-3.1.3-8]', returnCode: 2 };
  // MQTT 3.1 has no server-assigned client ids: its client id is 1 to 23 characters.
  if (clientId.length === 0 && level === 3) return { ok: false, reason: 'MQTT 3.1 (protocol level 3) requires a client id', returnCode: 2 };
  if (will) {
    const topic = r.string();
    if (topic === null) return { ok: false, reason: 'will topic is not valid UTF-8 [MQTT-1.5.3-1]' };
    if (topic === undefined || r.bytes() === undefined) return { ok: false, reason: 'truncated will' };
    if (topic.length === 0 || topic.includes('+') || topic.includes('#')) return { ok: false, reason: 'will topic must be a non-empty topic name' };
  }
  if (hasUser) {
    const user = r.string();
    if (user === null) return { ok: false, reason: 'user name is not valid UTF-8 [MQTT-1.5.3-1]' };
    if (user === undefined) return { ok: false, reason: 'truncated user name' };
  }
  if (hasPassword && r.bytes() === undefined) return { ok: false, reason: 'truncated password' };
  if (r.pos !== 1 + rl.bytes + rl.value) return { ok: false, reason: 'bytes left after the CONNECT payload' };
  return { ok: true, clientId, clean };
}
