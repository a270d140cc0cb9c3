import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSiteConfig } from '../../edge/config.ts';
import { tempDir } from './helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

const example = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'site.example.json'), 'utf8')) as Record<string, unknown>;

function write(value: unknown, raw?: string): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const f = join(t.dir, 'site.json');
  writeFileSync(f, raw ?? JSON.stringify(value));
  return f;
}

describe('site config loading', () => {
  it('loads the shipped example, frozen, with dataDir resolved next to the file', () => {
    const f = write(example);
    const cfg = loadSiteConfig(f);
    expect(cfg.devices).toHaveLength(8);
    expect(cfg.dataDir).toBe(join(f, '..', 'data', 'edge-xm-sm-01'));
    expect(Object.isFrozen(cfg.broker)).toBe(true);
  });

  it('names the file, the JSON path and the reason when the file is wrong', () => {
    const bad = structuredClone(example) as { broker: Record<string, unknown>; devices: Record<string, unknown>[] };
    bad.broker['maxPayloadBytes'] = 'big';
    const f = write(bad);
    expect(() => loadSiteConfig(f)).toThrow(/^SS_EDGE_CONFIG_INVALID: .*site\.json: \/broker\/maxPayloadBytes: /);
    const wrongKind = structuredClone(example) as { devices: Record<string, unknown>[] };
    wrongKind.devices[0]!['profile'] = 'anpr-json';
    expect(() => loadSiteConfig(write(wrongKind))).toThrow(/SS_EDGE_CONFIG_REF: .*\/devices\/0\/profile: 'anpr-json' is a barrier profile, not access/);
    const orphan = structuredClone(example) as { devices: Record<string, unknown>[] };
    orphan.devices[2]!['compound'] = 'nowhere';
    expect(() => loadSiteConfig(write(orphan))).toThrow(/\/devices\/2\/compound: 'nowhere' is not in \/compounds/);
    expect(() => loadSiteConfig(write(null, '{"v":1,'))).toThrow(/^SS_EDGE_CONFIG_JSON: /);
    expect(() => loadSiteConfig('/nonexistent/site.json')).toThrow(/^SS_EDGE_CONFIG_READ: /);
  });

  it('takes the scorer snapshot period in whole seconds, at least 1', () => {
    expect(loadSiteConfig(write({ ...example, scorer: { stateSaveSeconds: 5 } })).scorer?.stateSaveSeconds).toBe(5);
    expect(loadSiteConfig(write(example)).scorer).toBeUndefined();
    expect(() => loadSiteConfig(write({ ...example, scorer: { stateSaveSeconds: 0 } }))).toThrow(/SS_EDGE_CONFIG_INVALID: .*\/scorer\/stateSaveSeconds/);
    expect(() => loadSiteConfig(write({ ...example, scorer: { stateSaveMs: 5 } }))).toThrow(/SS_EDGE_CONFIG_INVALID: .*\/scorer/);
  });
});
