import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { checkSiteConfig, type SiteConfig } from '../protocol/site.ts';
import { describeProblems } from '../protocol/validate.ts';
import { VENDOR_PROFILES } from '../protocol/vendors.ts';
import { EdgeError } from './errors.ts';

/**
 * Check a parsed site config: the schema first, then what a schema can't say (device → compound
 * references, unique ids and usernames). Returns the frozen config or throws an EdgeError whose
 * message names the JSON path and the reason.
 */
export function validateSiteConfig(value: unknown, source = 'site config'): Readonly<SiteConfig> {
  const r = checkSiteConfig(value);
  if (!r.ok) throw new EdgeError('SS_EDGE_CONFIG_INVALID', `${source}: ${describeProblems(r.problems)}`);
  const cfg = r.value;
  const compounds = new Set<string>();
  cfg.compounds.forEach((c, i) => {
    if (compounds.has(c.id)) throw new EdgeError('SS_EDGE_CONFIG_REF', `${source}: /compounds/${i}/id: compound '${c.id}' repeats`);
    compounds.add(c.id);
  });
  const ids = new Set<string>();
  const users = new Set<string>();
  cfg.devices.forEach((d, i) => {
    if (!compounds.has(d.compound)) {
      throw new EdgeError('SS_EDGE_CONFIG_REF', `${source}: /devices/${i}/compound: '${d.compound}' is not in /compounds`);
    }
    if (VENDOR_PROFILES[d.profile] !== d.kind) {
      throw new EdgeError('SS_EDGE_CONFIG_REF', `${source}: /devices/${i}/profile: '${d.profile}' is a ${VENDOR_PROFILES[d.profile]} profile, not ${d.kind}`);
    }
    if (ids.has(d.id)) throw new EdgeError('SS_EDGE_CONFIG_REF', `${source}: /devices/${i}/id: device '${d.id}' repeats`);
    ids.add(d.id);
    const user = d.username ?? d.id;
    if (users.has(user)) throw new EdgeError('SS_EDGE_CONFIG_REF', `${source}: /devices/${i}/username: '${user}' repeats`);
    users.add(user);
  });
  (cfg.opcua ?? []).forEach((ep, i) => {
    ep.items.forEach((it, j) => {
      if (!ids.has(it.device)) throw new EdgeError('SS_EDGE_CONFIG_REF', `${source}: /opcua/${i}/items/${j}/device: '${it.device}' is not in /devices`);
    });
  });
  return deepFreeze(cfg);
}

/** Read, parse and check a site config file (STYLE.md habit 7: validated once at start, frozen). */
export function loadSiteConfig(path: string): Readonly<SiteConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EdgeError('SS_EDGE_CONFIG_READ', `${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new EdgeError('SS_EDGE_CONFIG_JSON', `${path}: ${(e as Error).message}`);
  }
  // A relative dataDir means "next to the config file", not "wherever the edge was started from".
  if (value && typeof value === 'object' && typeof (value as { dataDir?: unknown }).dataDir === 'string') {
    const v = value as { dataDir: string };
    if (!isAbsolute(v.dataDir)) v.dataDir = resolve(dirname(path), v.dataDir);
  }
  return validateSiteConfig(value, path);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
