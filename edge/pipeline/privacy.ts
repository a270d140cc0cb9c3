import { createHmac } from 'node:crypto';

/**
 * Privacy stage (DOMAIN.md: plates, card numbers and faces are personal data; the hub and every
 * public page see no raw personal identifier). Card, employee and plate values become keyed
 * HMAC-SHA256 hashes (site secret), so the same card still links two events at the edge's models
 * and at the hub, but nobody without the key can tell whose card it was. Names are dropped: a
 * name has no analytic use that a card hash doesn't already give. A masked plate (`闽D1***5`) is
 * kept because operators recognise vehicles by it.
 */
const HASHED = ['card', 'employee', 'plate'] as const;
const DROPPED = ['person'] as const;
/** 128 bits of the HMAC, hex: collision-free at city scale, short in InfluxDB fields. */
const HASH_HEX_CHARS = 32;
const MEMO_MAX = 20_000;

export type Attributes = Record<string, string | number | boolean>;

export interface Privacy {
  apply(attributes: Attributes): Attributes;
  hash(value: string): string;
}

export function createPrivacy(secret: string | Buffer): Privacy {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  // Cards and plates repeat all day (residents): a bounded memo saves the HMAC on the hot path.
  // Cleared when full rather than LRU: simpler, and a refill costs one HMAC per value.
  const memo = new Map<string, string>();
  const hash = (value: string): string => {
    let h = memo.get(value);
    if (h === undefined) {
      h = createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, HASH_HEX_CHARS);
      if (memo.size >= MEMO_MAX) memo.clear();
      memo.set(value, h);
    }
    return h;
  };
  return {
    hash,
    apply(attributes) {
      for (const k of DROPPED) if (k in attributes) delete attributes[k];
      for (const k of HASHED) {
        const v = attributes[k];
        if (v === undefined) continue;
        const s = String(v);
        attributes[k] = hash(s);
        if (k === 'plate') attributes['plateMasked'] = maskPlate(s);
      }
      return attributes;
    },
  };
}

/** `闽D12345` → `闽D1***5`: province, city letter and first digit, then the last character. */
export function maskPlate(plate: string): string {
  const chars = [...plate.trim()];
  if (chars.length < 5) return '***';
  return `${chars.slice(0, 3).join('')}***${chars[chars.length - 1] ?? ''}`;
}
