import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadHubConfig } from '../../hub/config-file.ts';
import { mergeHubOptions, type HubCliOptions } from '../../hub/options.ts';
import { safestar, startHubProcess } from './cli-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'ss-hubcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, body: string): string => {
  const f = join(dir, name);
  writeFileSync(f, body);
  return f;
};
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('hub config file (pure)', () => {
  it('accepts the shipped example and resolves relative paths next to the file', () => {
    const c = loadHubConfig(join(import.meta.dirname, '..', '..', 'examples', 'hub.example.json'));
    expect(c.apiPort).toBe(18842);
    expect(c.data).toBe(join(import.meta.dirname, '..', '..', 'data', 'hub'));
  });

  it('refuses an unreadable, non-JSON or off-schema file with its own code and the path at fault', () => {
    expect(codeOf(() => loadHubConfig(join(dir, 'missing.json')))).toBe('SS_HUB_CONFIG_READ');
    expect(codeOf(() => loadHubConfig(write('bad.json', '{ "apiPort": ')))).toBe('SS_HUB_CONFIG_JSON');
    for (const body of ['{"apiPort": 70000}', '{"logLevel": "loud"}', '{"insecureDev": true}', '{"publicUrl": "ftp://x"}', '[]']) {
      expect(codeOf(() => loadHubConfig(write('off.json', body))), body).toBe('SS_HUB_CONFIG_INVALID');
    }
    try {
      loadHubConfig(write('off.json', '{"apiPort": 70000}'));
    } catch (e) {
      expect((e as Error).message).toContain('/apiPort');
    }
  });

  it('merges flag > environment > file > default', () => {
    const cli: HubCliOptions = { data: './data/hub', host: '127.0.0.1', mqttPort: 0, apiPort: 1234, influx: 'http://env:8086/x' };
    const sources: Record<string, string> = { data: 'default', host: 'default', mqttPort: 'default', apiPort: 'cli', influx: 'env' };
    const source = (k: keyof HubCliOptions): string | undefined => sources[k];
    const m = mergeHubOptions(cli, source, { data: '/srv/hub', apiPort: 9, mqttPort: 8, influx: 'http://file:8086/y', logLevel: 'warn', trustedProxies: ['10.0.0.5', '10.1.0.0/16'] });
    expect(m).toMatchObject({ data: '/srv/hub', host: '127.0.0.1', mqttPort: 8, apiPort: 1234, influx: 'http://env:8086/x', logLevel: 'warn', trustedProxy: '10.0.0.5,10.1.0.0/16' });
  });
});

describe('safestar CLI', () => {
  it('prints its version', async () => {
    const r = await safestar(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 60_000);

  it('stops with SS_HUB_CONFIG_INVALID on a bad --config', async () => {
    const r = await safestar(['hub', '--config', write('bad-hub.json', '{"apiPort": "eighty"}'), '--insecure-dev']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^SS_HUB_CONFIG_INVALID: .*\/apiPort/);
  }, 60_000);

  it('runs from --config with LOG_LEVEL overriding the file, and answers /version', async () => {
    const cfg = write('hub.json', JSON.stringify({ data: './hubdata', apiPort: 0, mqttPort: 0, logLevel: 'info', publicUrl: 'https://safe.example.gov.cn' }));
    const hub = await startHubProcess(['--config', cfg, '--insecure-dev'], { LOG_LEVEL: 'warn' });
    try {
      const v = (await (await fetch(`${hub.apiUrl}/version`)).json()) as { service: string; version: string };
      expect(v.service).toBe('hub');
      // The data folder named in the file is next to the file.
      expect(existsSync(join(dir, 'hubdata', 'state.db'))).toBe(true);
      // warn from the environment: the info line 'hub started' is not logged, the insecure-dev warning is.
      const lines = hub.output().split('\n').filter((l) => l.startsWith('{'));
      expect(lines.some((l) => l.includes('INSECURE DEV MODE'))).toBe(true);
      expect(lines.some((l) => l.includes('"hub started"'))).toBe(false);
    } finally {
      await hub.stop();
    }
  }, 90_000);
});
