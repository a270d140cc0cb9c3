import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceKind } from '../../protocol/devices.ts';
import type { DeviceChannel } from '../../protocol/topics.ts';
import { VENDOR_PROFILE_NAMES, profilesOfKind, type VendorProfile } from '../../protocol/vendors.ts';
import { decode } from '../../edge/codecs/registry.ts';

/**
 * Every fixture under test/fixtures/vendors/<profile>/*.json is decoded by the codec of its
 * profile (heartbeat/ and state/ hold the common channels) and must give exactly `expect`.
 */
interface Fixture {
  description: string;
  kind: DeviceKind;
  channel: DeviceChannel;
  timezone: string;
  receivedAt: number;
  payload?: unknown;
  payloadText?: string;
  payloadBase64?: string;
  expect: { ok: true; drafts: unknown[] } | { ok: false; code: string };
}

const root = join(import.meta.dirname, '..', 'fixtures', 'vendors');
const dirs = readdirSync(root);

function bytes(f: Fixture): Buffer {
  if (f.payloadText !== undefined) return Buffer.from(f.payloadText, 'utf8');
  if (f.payloadBase64 !== undefined) return Buffer.from(f.payloadBase64, 'base64');
  return Buffer.from(JSON.stringify(f.payload), 'utf8');
}

describe('vendor codecs (fixtures)', () => {
  it('has fixtures for every vendor profile and both common channels', () => {
    for (const p of [...VENDOR_PROFILE_NAMES, 'heartbeat', 'state']) {
      expect(dirs, p).toContain(p);
      expect(readdirSync(join(root, p)).length, p).toBeGreaterThanOrEqual(3);
    }
  });

  for (const dir of dirs) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.json'))) {
      it(`${dir}/${file}`, () => {
        const f = JSON.parse(readFileSync(join(root, dir, file), 'utf8')) as Fixture;
        const profile: VendorProfile = (VENDOR_PROFILE_NAMES as string[]).includes(dir) ? (dir as VendorProfile) : (profilesOfKind(f.kind)[0] as VendorProfile);
        const r = decode(profile, f.channel, bytes(f), { device: 'dev-1', kind: f.kind, timezone: f.timezone, receivedAt: f.receivedAt });
        if (f.expect.ok) {
          expect(r).toEqual({ ok: true, drafts: f.expect.drafts });
        } else {
          expect(r.ok).toBe(false);
          if (!r.ok) {
            expect(r.code).toBe(f.expect.code);
            expect(r.reason.length).toBeGreaterThan(0);
          }
        }
      });
    }
  }
});

describe('codecs never throw', () => {
  it('returns a result for arbitrary bytes and arbitrary JSON on every channel of every profile', () => {
    const ctx = { device: 'd', kind: 'access' as const, timezone: '+08:00', receivedAt: 1_764_404_102_000 };
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null'))), (buf) => {
        for (const p of VENDOR_PROFILE_NAMES) {
          for (const ch of ['events', 'heartbeat', 'state'] as const) {
            const r = decode(p, ch, buf, ctx);
            expect(typeof r.ok).toBe('boolean');
            if (!r.ok) expect(r.code).toMatch(/^SS_CODEC_/);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
