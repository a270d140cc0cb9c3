import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { City } from '../protocol/city.ts';
import type { SiteConfig, SiteDevice } from '../protocol/site.ts';
import { hashPassword } from '../common/password.ts';
import { compoundOf } from './city.ts';
import { Rng } from './random.ts';

/**
 * Site config of one edge for some compounds of a simulated city, plus the commissioning kit:
 * each device's clear password (which only the simulator / installer holds) and its scrypt hash
 * in the config (which is all the edge ever sees).
 */
export interface SiteConfigOptions {
  edgeId: string;
  compoundIds: readonly string[];
  /** mqtt://host:port of the hub's broker. */
  hubUrl: string;
  dataDir: string;
  /** Device broker port; 0 (default) = any free port. */
  brokerPort?: number;
  /** Local API port; 0 (default) = any free port. */
  apiPort?: number;
  /** Privacy key (>= 16 chars). Default: 32 random bytes (or seeded with `deterministicSecrets`). */
  secret?: string;
  /** Seed of deterministic secrets (default: the city's seed). */
  seed?: number;
  /**
   * Derive device passwords and the privacy key from the seed instead of the OS CSPRNG. Anyone
   * with the city file and seed can recompute them, so this is for tests and simulations that
   * need repeatable kits, never for a kit that guards anything real (issue 12).
   */
  deterministicSecrets?: boolean;
  /** The edge's secret for the hub (`safestar hub edges add`), written into uplink.password. */
  uplinkPassword?: string;
  /** PEM CA file the edge trusts for an mqtts:// hub (uplink.caFile). */
  uplinkCaFile?: string;
  /**
   * Hash function (default `hashPassword` from common/password.ts, so the parameters can never
   * drift from what the edge verifies); tests may inject a cheaper one.
   */
  hash?: (password: string) => string;
  brokerHost?: string;
}

export interface SiteKit {
  config: SiteConfig;
  /** deviceId → clear password. */
  passwords: Record<string, string>;
  /** Bearer token for the edge API's /deadletters (always random; the config holds its hash). */
  apiToken: string;
}

export function siteConfigForCity(city: City, opts: SiteConfigOptions): SiteKit {
  return build(city, opts, opts.hash ?? hashPassword);
}

function build(city: City, opts: SiteConfigOptions, hash: (password: string) => string): SiteKit {
  if (opts.compoundIds.length === 0) throw new Error('SS_SIM_SITE_EMPTY: compoundIds is empty; give at least one compound of the city');
  const rng = new Rng(opts.seed ?? city.seed).fork(`site:${opts.edgeId}`);
  const compounds = opts.compoundIds.map((id) => compoundOf(city, id));
  const first = compounds[0];
  if (!first) throw new Error('SS_SIM_SITE_EMPTY: no compound');
  const passwords: Record<string, string> = {};
  const devices: SiteDevice[] = [];
  for (const c of compounds) {
    for (const d of c.devices) {
      const password = opts.deterministicSecrets ? rng.token(20) : randomBytes(15).toString('base64url');
      passwords[d.id] = password;
      devices.push({
        id: d.id,
        compound: c.id,
        kind: d.kind,
        profile: d.profile,
        username: d.id,
        passwordHash: hash(password),
        ...(d.zone !== undefined ? { zone: d.zone } : {}),
        heartbeatSeconds: d.heartbeatSeconds,
      });
    }
  }
  const apiToken = randomBytes(24).toString('base64url');
  const config: SiteConfig = {
    v: 1,
    edge: { id: opts.edgeId, district: first.district },
    timezone: '+08:00',
    privacySecret: opts.secret ?? (opts.deterministicSecrets ? `demo-${rng.token(24)}` : randomBytes(32).toString('base64url')),
    broker: {
      host: opts.brokerHost ?? '127.0.0.1',
      port: opts.brokerPort ?? 0,
      maxPayloadBytes: 65_536, // bytes; vendor payloads are < 4 KiB, images go by URL
      maxMessagesPerDevicePerSecond: 50,
      maxConnections: Math.max(100, devices.length * 2),
    },
    uplink: {
      url: opts.hubUrl,
      ...(opts.uplinkPassword !== undefined ? { username: opts.edgeId, password: opts.uplinkPassword } : {}),
      ...(opts.uplinkCaFile !== undefined ? { caFile: opts.uplinkCaFile } : {}),
      batchSize: 500,
      maxInflightBatches: 4,
    },
    outbox: { maxEvents: 1_000_000 },
    api: { host: '127.0.0.1', port: opts.apiPort ?? 0, tokenHash: hash(apiToken) },
    dataDir: opts.dataDir,
    compounds: compounds.map((c) => ({ id: c.id, name: c.name, district: c.district, households: c.households })),
    devices,
  };
  return { config, passwords, apiToken };
}

/**
 * The edge secret from `safestar hub edges add EDGE --secret-out FILE` (or a file holding its
 * stdout): one line, at least 16 characters.
 */
export function readEdgeSecret(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`SS_SIM_EDGE_SECRET: cannot read '${file}': ${(e as Error).message}; write it with 'safestar hub edges add EDGE --compounds … --secret-out FILE'`);
  }
  const secret = text.trim();
  if (secret.length < 16 || /\s/.test(secret)) {
    throw new Error(`SS_SIM_EDGE_SECRET: '${file}' must hold one edge secret of at least 16 characters (as 'safestar hub edges add' prints it)`);
  }
  return secret;
}
