import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Dead letters keep no personal data in the clear (issue 12): a bad payload is exactly where an
 * undecoded card number, name or plate sits. Each record keeps
 * - a masked preview: JSON keys and XML tag / attribute names stay readable (that is what an
 *   installer needs to see which field broke), every other letter becomes `x`, digit `0`,
 *   other character `*`; punctuation and spaces stay;
 * - the raw bytes sealed with AES-256-GCM under a key derived from the site's privacy key, so
 *   whoever holds that key (`createDeadLetterSeal(key).open`) can still see what the device sent.
 */
export interface DeadLetterSeal {
  seal(payload: Buffer): Buffer;
  open(sealed: Buffer): Buffer;
  mask(payload: Buffer): string;
}

const VERSION = 1;
const IV = 12;
const TAG = 16;
/** Preview length, characters. */
const MASK_MAX = 1024;

export function createDeadLetterSeal(privacyKey: string | Buffer): DeadLetterSeal {
  const key = Buffer.from(hkdfSync('sha256', privacyKey, 'safestar-deadletter', 'aes-256-gcm v1', 32));
  return {
    seal(payload) {
      const iv = randomBytes(IV);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(payload), c.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
    },
    open(sealed) {
      if (sealed[0] !== VERSION || sealed.length < 1 + IV + TAG) throw new Error('not a sealed dead letter');
      const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV));
      d.setAuthTag(sealed.subarray(1 + IV, 1 + IV + TAG));
      return Buffer.concat([d.update(sealed.subarray(1 + IV + TAG)), d.final()]);
    },
    mask: maskPayload,
  };
}

/** Names that describe structure, not people: JSON keys, XML tags and attribute names. */
const STRUCTURE = /"([A-Za-z_][\w.-]{0,63})"(?=\s*:)|<\/?([A-Za-z_][\w:.-]{0,63})|\b([A-Za-z_][\w:.-]{0,63})(?==\s*["'])/g;

export function maskPayload(payload: Buffer): string {
  const text = payload.subarray(0, MASK_MAX * 4).toString('utf8').slice(0, MASK_MAX);
  const keep = new Uint8Array(text.length);
  for (const m of text.matchAll(STRUCTURE)) {
    const name = m[1] ?? m[2] ?? m[3] ?? '';
    const at = (m.index ?? 0) + m[0].indexOf(name);
    keep.fill(1, at, at + name.length);
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const c = ch.charCodeAt(0);
    if (keep[i]) out += ch;
    else if (c >= 48 && c <= 57) out += '0';
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) out += 'x';
    else if (c < 32 && c !== 9 && c !== 10 && c !== 13) out += '.';
    else if (c < 128) out += ch; // punctuation and spaces as they are
    else out += '*';
  }
  return out;
}
