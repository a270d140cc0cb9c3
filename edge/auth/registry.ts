import type { SiteConfig, SiteDevice } from '../../protocol/site.ts';
import { devicePrefix } from '../../protocol/topics.ts';

/** A configured device with what the hot path needs precomputed. */
export interface DeviceEntry {
  device: Readonly<SiteDevice>;
  /** District of the device's compound (events carry the compound's district). */
  district: string;
  /** `ss/v1/dev/{compound}/{kind}/{device}/`: the only place it may publish or subscribe. */
  prefix: string;
  username: string;
}

/** Devices by id and by MQTT username, built once from the frozen site config. */
export class DeviceRegistry {
  private readonly byId = new Map<string, DeviceEntry>();
  private readonly byUser = new Map<string, DeviceEntry>();

  constructor(config: Readonly<SiteConfig>) {
    const districts = new Map(config.compounds.map((c) => [c.id, c.district]));
    for (const d of config.devices) {
      const e: DeviceEntry = {
        device: d,
        district: districts.get(d.compound) ?? config.edge.district,
        prefix: devicePrefix(d.compound, d.kind, d.id),
        username: d.username ?? d.id,
      };
      this.byId.set(d.id, e);
      this.byUser.set(e.username, e);
    }
  }

  get(id: string): DeviceEntry | undefined {
    return this.byId.get(id);
  }

  byUsername(username: string): DeviceEntry | undefined {
    return this.byUser.get(username);
  }

  all(): IterableIterator<DeviceEntry> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }
}
