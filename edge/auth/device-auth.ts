import { createHash, timingSafeEqual } from 'node:crypto';
import type { DeviceEntry, DeviceRegistry } from './registry.ts';
import { verifyPassword } from '../../common/password.ts';

/**
 * Device authentication for the broker's CONNECT. A device is found by its MQTT username (or its
 * client id when it sends no username and anonymous devices are allowed), then its password is
 * checked against the scrypt hash. After one successful check the SHA-256 of the password is
 * remembered per device, so a reconnect storm (2,000 devices after an edge restart costs one
 * scrypt each, not one per reconnect attempt) stays cheap; a changed password misses the cache
 * and is checked with scrypt again.
 */
export type AuthResult =
  | { ok: true; entry: DeviceEntry }
  | { ok: false; code: 'SS_AUTH_UNKNOWN_DEVICE' | 'SS_AUTH_BAD_PASSWORD' | 'SS_AUTH_NO_PASSWORD' | 'SS_AUTH_CLIENT_ID'; returnCode: 4 | 5; device?: string };

export class DeviceAuth {
  private readonly verified = new Map<string, Buffer>();

  constructor(private readonly registry: DeviceRegistry, private readonly allowAnonymous: boolean) {}

  async authenticate(clientId: string, generatedClientId: boolean, username: string | undefined, password: Buffer | undefined): Promise<AuthResult> {
    const entry = this.registry.byUsername(username ?? clientId);
    if (!entry) return { ok: false, code: 'SS_AUTH_UNKNOWN_DEVICE', returnCode: 5 };
    const device = entry.device.id;
    // The topic ACL is keyed on the device, but tools and logs show client ids: they must agree.
    if (!generatedClientId && clientId !== device && clientId !== entry.username) {
      return { ok: false, code: 'SS_AUTH_CLIENT_ID', returnCode: 5, device };
    }
    const hash = entry.device.passwordHash;
    if (hash === undefined) {
      return this.allowAnonymous ? { ok: true, entry } : { ok: false, code: 'SS_AUTH_NO_PASSWORD', returnCode: 5, device };
    }
    if (password === undefined) return { ok: false, code: 'SS_AUTH_NO_PASSWORD', returnCode: 4, device };
    const digest = createHash('sha256').update(password).digest();
    const known = this.verified.get(device);
    if (known && timingSafeEqual(known, digest)) return { ok: true, entry };
    if (await verifyPassword(password, hash)) {
      this.verified.set(device, digest);
      return { ok: true, entry };
    }
    return { ok: false, code: 'SS_AUTH_BAD_PASSWORD', returnCode: 4, device };
  }
}
