// Hand-built MQTT 3.1.1 bytes for tests that send what a well-behaved client library never would
// (reserved types, bad flags, oversized lengths). Written apart from edge/broker on purpose: a
// test that built its packets with the code under test would prove nothing.

/** A UTF-8 string or raw bytes with its 2-byte length prefix [MQTT-1.5.3]. */
export const str = (v: string | Buffer): Buffer => {
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

/** The variable-length "remaining length" encoding [MQTT-2.2.3]. */
export const varint = (n: number): Buffer => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
};
