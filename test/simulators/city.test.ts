import { describe, expect, it } from 'vitest';
import { checkCity } from '../../protocol/city.ts';
import { checkSiteConfig } from '../../protocol/site.ts';
import { profilesOfKind } from '../../protocol/vendors.ts';
import { DEVICE_KINDS } from '../../protocol/devices.ts';
import { verifyPasswordSync } from '../../common/password.ts';
import { cityToJson, generateCity, XIAMEN_DISTRICTS } from '../../simulators/city.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';

describe('generateCity', () => {
  it('same seed → byte-identical file; another seed → another city', () => {
    const a = cityToJson(generateCity({ compounds: 300, seed: 42 }));
    const b = cityToJson(generateCity({ compounds: 300, seed: 42 }));
    const c = cityToJson(generateCity({ compounds: 300, seed: 43 }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(JSON.parse(a)).toEqual(generateCity({ compounds: 300, seed: 42 }));
  });

  it('a whole city: 2285 compounds in 6 districts, valid, unique ids, lognormal households', () => {
    const city = generateCity({ compounds: 2285, seed: 7 });
    expect(checkCity(city).ok).toBe(true);
    expect(city.districts.map((d) => d.id)).toEqual(['siming', 'huli', 'jimei', 'haicang', 'tongan', 'xiangan']);
    expect(city.compounds).toHaveLength(2285);
    const ids = new Set<string>();
    for (const c of city.compounds) for (const d of c.devices) ids.add(d.id);
    expect(ids.size).toBe(city.compounds.reduce((n, c) => n + c.devices.length, 0));
    expect(new Set(city.compounds.map((c) => c.name)).size).toBe(2285);
    const hh = city.compounds.map((c) => c.households).sort((x, y) => x - y);
    const median = hh[Math.floor(hh.length / 2)]!;
    expect(median).toBeGreaterThan(500);
    expect(median).toBeLessThan(720);
    expect(hh[0]).toBeGreaterThanOrEqual(50);
    expect(hh[hh.length - 1]).toBeLessThanOrEqual(5000);
    // Every district holds a fair share, and coordinates stay inside the district's box.
    for (const d of XIAMEN_DISTRICTS) {
      const inD = city.compounds.filter((c) => c.district === d.id);
      expect(inD.length / 2285).toBeGreaterThan(0.08);
      for (const c of inD) {
        expect(c.lat).toBeGreaterThanOrEqual(d.box[0]);
        expect(c.lat).toBeLessThanOrEqual(d.box[1]);
        expect(c.lon).toBeGreaterThanOrEqual(d.box[2]);
        expect(c.lon).toBeLessThanOrEqual(d.box[3]);
      }
    }
  });

  it('every compound has every kind; device counts grow with size; both profiles of a kind occur', () => {
    const city = generateCity({ compounds: 400, seed: 3 });
    for (const c of city.compounds) for (const k of DEVICE_KINDS) expect(c.devices.some((d) => d.kind === k)).toBe(true);
    const small = city.compounds.filter((c) => c.households < 300);
    const big = city.compounds.filter((c) => c.households > 1500);
    const avg = (cs: typeof small): number => cs.reduce((n, c) => n + c.devices.length, 0) / cs.length;
    expect(avg(big)).toBeGreaterThan(2 * avg(small));
    for (const k of DEVICE_KINDS) {
      const profiles = new Set(city.compounds.flatMap((c) => c.devices.filter((d) => d.kind === k).map((d) => d.profile)));
      expect([...profiles].sort()).toEqual(profilesOfKind(k).sort());
    }
  });

  it('refuses a city without compounds', () => {
    expect(() => generateCity({ compounds: 0, seed: 1 })).toThrow(/SS_SIM_CITY_COMPOUNDS/);
  });
});

describe('siteConfigForCity', () => {
  const city = generateCity({ compounds: 3, seed: 8 });
  const cheap = (pw: string): string => `scrypt$test$${Buffer.from(pw).toString('base64')}`;

  it('gives a valid site config with a password per device, seeded when asked by name', () => {
    const kit = siteConfigForCity(city, { edgeId: 'edge-1', compoundIds: ['c0001', 'c0002'], hubUrl: 'mqtt://127.0.0.1:1', dataDir: '/tmp/x', hash: cheap, deterministicSecrets: true });
    const r = checkSiteConfig(kit.config);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const devices = city.compounds.slice(0, 2).flatMap((c) => c.devices.map((d) => d.id));
    expect(kit.config.devices.map((d) => d.id)).toEqual(devices);
    expect(Object.keys(kit.passwords)).toEqual(devices);
    expect(new Set(Object.values(kit.passwords)).size).toBe(devices.length);
    expect(kit.config.edge.district).toBe(city.compounds[0]!.district);
    const again = siteConfigForCity(city, { edgeId: 'edge-1', compoundIds: ['c0001', 'c0002'], hubUrl: 'mqtt://127.0.0.1:1', dataDir: '/tmp/x', hash: cheap, deterministicSecrets: true });
    expect(again.passwords).toEqual(kit.passwords);
    expect(again.config.privacySecret).toBe(kit.config.privacySecret);
  });

  it('stores scrypt hashes the edge verifies, never the passwords', () => {
    const smallest = [...city.compounds].sort((a, b) => a.devices.length - b.devices.length)[0]!;
    const kit = siteConfigForCity(city, { edgeId: 'edge-2', compoundIds: [smallest.id], hubUrl: 'mqtt://127.0.0.1:1', dataDir: '/tmp/x' });
    const d = kit.config.devices[0]!;
    expect(d.passwordHash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(kit.config)).not.toContain(kit.passwords[d.id]!);
    expect(verifyPasswordSync(kit.passwords[d.id]!, d.passwordHash!)).toBe(true);
    expect(verifyPasswordSync('wrong', d.passwordHash!)).toBe(false);
  });

  it('by default, passwords and the privacy secret are random, different run to run', () => {
    const o = { edgeId: 'edge-4', compoundIds: ['c0001'], hubUrl: 'mqtt://127.0.0.1:1', dataDir: '/tmp/x', hash: cheap };
    const a = siteConfigForCity(city, o);
    const b = siteConfigForCity(city, o);
    const id = Object.keys(a.passwords)[0]!;
    expect(a.passwords[id]).not.toBe(b.passwords[id]);
    expect(a.passwords[id]!.length).toBeGreaterThanOrEqual(20);
    expect(a.config.privacySecret).not.toBe(b.config.privacySecret);
    expect(a.config.privacySecret!.length).toBeGreaterThanOrEqual(32);
  });
});
