import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterConfigSchema, loadClusterConfig, parseClusterConfig } from '../../../hub/cluster/config.ts';

const base = { id: 'w1', nats: ['nats://127.0.0.1:4301'], pg: 'postgres://127.0.0.1/x' };

describe('ClusterConfig (TypeBox schema, file / JSON / flags / env)', () => {
  it('fills the defaults the issue names: 64 partitions, R3', () => {
    const c = parseClusterConfig(base);
    expect(c).toMatchObject({ partitions: 64, replicas: 3, leaseTtlMs: 10_000, ackWaitMs: 30_000, seriesName: 'main' });
    // The calibration's grace for a silent partition: 10 minutes, as the coordinator had it in code.
    expect(c.calibrationGraceMs).toBe(600_000);
    expect(parseClusterConfig({ ...base, calibrationGraceMs: 0 }).calibrationGraceMs).toBe(0);
    expect(ClusterConfigSchema.properties.partitions).toBeDefined();
  });

  it('refuses bad values with SS_CLUSTER_CONFIG and the field', () => {
    expect(() => parseClusterConfig({ ...base, id: 'has space' })).toThrow(/SS_CLUSTER_CONFIG.*id/);
    expect(() => parseClusterConfig({ ...base, nats: [] })).toThrow(/SS_CLUSTER_CONFIG.*nats/);
    expect(() => parseClusterConfig({ ...base, pg: 'mysql://x' })).toThrow(/SS_CLUSTER_CONFIG.*pg/);
    expect(() => parseClusterConfig({ ...base, partitions: 0 })).toThrow(/SS_CLUSTER_CONFIG.*partitions/);
    expect(() => parseClusterConfig({ ...base, calibrationGraceMs: -1 })).toThrow(/SS_CLUSTER_CONFIG.*calibrationGraceMs/);
    expect(() => parseClusterConfig({ ...base, calibrationGraceMs: 1.5 })).toThrow(/SS_CLUSTER_CONFIG.*calibrationGraceMs/);
    expect(() => parseClusterConfig({ ...base, unknown: 1 })).toThrow(/SS_CLUSTER_CONFIG/);
    expect(() => parseClusterConfig({ ...base, leaseTtlMs: 1000, tickMs: 800 })).toThrow(/tickMs/);
    expect(() => parseClusterConfig('nope')).toThrow(/SS_CLUSTER_CONFIG/);
  });

  it('takes trusted proxies as the hub\u2019s --trusted-proxy does: addresses or CIDRs, anything else refused', () => {
    expect(parseClusterConfig({ ...base, trustedProxies: ['10.0.0.5', '10.1.0.0/16'] }).trustedProxies).toEqual(['10.0.0.5', '10.1.0.0/16']);
    expect(() => parseClusterConfig({ ...base, trustedProxies: ['proxy.local'] })).toThrow(/SS_HUB_CONFIG.*trusted-proxy/);
    expect(() => parseClusterConfig({ ...base, trustedProxies: ['10.0.0.0/33'] })).toThrow(/SS_HUB_CONFIG/);
  });

  it('env, then the file, then flags: later wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-ccfg-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ ...base, partitions: 16 }));
      const env = { SAFESTAR_CLUSTER_ID: 'from-env', SAFESTAR_CLUSTER_NATS: 'nats://a:1, nats://b:2', SAFESTAR_CLUSTER_PG: 'postgres://env/db', SAFESTAR_CLUSTER_REPLICAS: '1' };
      expect(loadClusterConfig(undefined, {}, env)).toMatchObject({ id: 'from-env', nats: ['nats://a:1', 'nats://b:2'], pg: 'postgres://env/db', replicas: 1 });
      expect(loadClusterConfig(file, {}, env)).toMatchObject({ id: 'w1', partitions: 16, replicas: 1 });
      expect(loadClusterConfig(file, { id: 'flag', partitions: undefined }, env)).toMatchObject({ id: 'flag', partitions: 16 });
      const grace = { ...env, SAFESTAR_CLUSTER_CALIBRATION_GRACE_MS: '120000' };
      expect(loadClusterConfig(undefined, {}, grace).calibrationGraceMs).toBe(120_000);
      expect(loadClusterConfig(JSON.stringify({ ...base, calibrationGraceMs: 5000 }), {}, grace).calibrationGraceMs).toBe(5000);
      expect(loadClusterConfig(file, { calibrationGraceMs: 60_000 }, grace).calibrationGraceMs).toBe(60_000);
      expect(loadClusterConfig(JSON.stringify({ ...base, apiPort: 0 }), {}, {})).toMatchObject({ apiPort: 0 });
      expect(() => loadClusterConfig(undefined, {}, {})).toThrow(/SS_CLUSTER_CONFIG.*--config/);
      expect(() => loadClusterConfig(join(dir, 'missing.json'), {}, {})).toThrow(/SS_CLUSTER_CONFIG/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
