import { readFileSync } from 'node:fs';
import { EdgeError } from '../errors.ts';

/** The uplink's PEM files (site config uplink.caFile / certFile / keyFile), read once at start. */
export function uplinkTls(u: { caFile?: string; certFile?: string; keyFile?: string }): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (file: string, field: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new EdgeError('SS_EDGE_CONFIG_READ', `uplink.${field} '${file}': ${(e as Error).message}`);
    }
  };
  if (!u.certFile !== !u.keyFile) throw new EdgeError('SS_EDGE_CONFIG_INVALID', 'uplink.certFile and uplink.keyFile go together (a client certificate and its key)');
  return {
    ...(u.caFile ? { ca: read(u.caFile, 'caFile') } : {}),
    ...(u.certFile ? { cert: read(u.certFile, 'certFile') } : {}),
    ...(u.keyFile ? { key: read(u.keyFile, 'keyFile') } : {}),
  };
}
