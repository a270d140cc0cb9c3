import { hash } from 'node:crypto';
import type { VendorProfile } from '../../protocol/vendors.ts';

/**
 * Event ids. The hub drops an event whose id it has seen, so an id must name the device's
 * message, not the moment the edge happened to read it: a message the edge committed but could
 * not PUBACK before a crash is resent by the device (MQTT QoS 1) and must come out with the
 * same id, or the hub stores it twice (issue 12, "Resends dedupe").
 *
 * - Device messages (`messageEventId`): a digest of who sent it and what it says. Where the
 *   vendor numbers its records (SERIAL_ATTRIBUTE: Hikvision serialNo, Dahua RecNo, HikCentral
 *   eventId, ANPR parking_serial, GB/T 28181 SN) the serial, device time and type name the event,
 *   so a vendor resend with other bytes (Hikvision bumps activePostCount) is still the same event.
 *   Otherwise the payload bytes, device time, type and the draft's place in the message do.
 *   Consequence: two byte-identical messages from one device carrying the same device time are one
 *   event (the format cannot tell them from a resend); and `state` messages carry no time, so the
 *   edge's receive time goes into their digest (a resent `online` after a crash is a new event).
 * - Edge-origin events (offline after silence, back online, OPC UA value changes) have no device
 *   message to resend: `createIdMinter` makes them unique per start.
 *
 * Format `${edge}.${22 chars base64url}` (132 bits of SHA-256): [A-Za-z0-9_.-] only, so it is
 * safe in the Event v1 id pattern (^[A-Za-z0-9_.:-]{8,100}$), in line protocol and in topics.
 * Max length 64 (edge id) + 1 + 22 = 87.
 */
export interface IdSource {
  type: string;
  deviceTime: number;
  /** The draft's decoded attributes, before privacy (the serial is read from here). */
  attributes: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The attribute in which each profile's codec puts the vendor's record number (VENDORS.md
 * "Event identity"). Profiles without one (fences, Hikvision camera alerts) and the common
 * `heartbeat`/`state` channels are identified by their bytes.
 */
export const SERIAL_ATTRIBUTE: Partial<Record<VendorProfile, string>> = {
  'hik-access': 'serialNo',
  'dahua-access': 'recNo',
  'anpr-json': 'serial',
  'hikcentral-parking': 'eventId',
  'gb28181-alarm': 'sn',
};

/** The vendor serial of a draft from a device of `profile` on `channel`, if its format has one. */
export function serialOf(profile: VendorProfile, channel: string, attributes: IdSource['attributes']): string | undefined {
  if (channel !== 'events') return undefined;
  const k = SERIAL_ATTRIBUTE[profile];
  const v = k === undefined ? undefined : attributes[k];
  return v === undefined ? undefined : String(v);
}

const DIGEST_CHARS = 22;

export function messageEventId(edgeId: string, deviceId: string, serial: string | undefined, d: IdSource, payload: Buffer, index: number): string {
  // One-shot `crypto.hash` (no Hash object per event: ~0.4–0.7 µs less per id, issue 14) over the
  // same bytes the earlier createHash().update(head).update(payload) digested, so ids of resends
  // stay equal across the upgrade (test/edge/event-ids.test.ts pins them).
  // NUL separators: device ids and types cannot contain one, so fields cannot run together.
  let digest: string;
  if (serial !== undefined) {
    // The draft's index is left out on purpose: a vendor may resend a record in another batch.
    digest = hash('sha256', `v1\0s\0${deviceId}\0${d.deviceTime}\0${d.type}\0${serial}`, 'base64url');
  } else {
    const head = `v1\0p\0${deviceId}\0${d.deviceTime}\0${d.type}\0${index}\0`;
    const headBytes = Buffer.byteLength(head);
    const data = Buffer.allocUnsafe(headBytes + payload.length);
    data.write(head, 0, 'utf8');
    payload.copy(data, headBytes);
    digest = hash('sha256', data, 'base64url');
  }
  return `${edgeId}.${digest.slice(0, DIGEST_CHARS)}`;
}

/**
 * Ids for events the edge makes itself: `${edge}.${ms base36}.${boot base36}-${counter base36}`.
 * `boot` is a counter persisted in the outbox and bumped at every start, so a restart (even with
 * the clock set back) never reuses an id; the counter makes ids unique within one start.
 * Max length: 64 (edge) + 1 + 9 + 1 + 7 + 1 + 11 = 94 ≤ 100 (Event v1 id pattern).
 */
export function createIdMinter(edgeId: string, boot: number, clock: () => number): () => string {
  const bootPart = boot.toString(36);
  let counter = 0;
  return () => `${edgeId}.${clock().toString(36)}.${bootPart}-${(counter++).toString(36)}`;
}
