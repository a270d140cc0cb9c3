import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyPasswordSync } from '../../common/password.ts';
import { EdgeAuth } from '../../hub/auth.ts';
import { CaseAuth, tokensFromEnv } from '../../hub/cases/auth.ts';
import { loadTls, parseProxies } from '../../hub/config.ts';
import { CredentialStore, tokenDigest } from '../../hub/credentials.ts';
import { tempDir } from './helpers.ts';

describe('hub credential store', () => {
  it('re-reads a changed file; a broken edit keeps the last good credentials and says why', () => {
    const dir = tempDir();
    const a = new CredentialStore(dir, () => 0);
    const secret = a.addEdge('edge-1', ['c1', 'c1', 'c2']);
    const b = new CredentialStore(dir);
    expect(b.edges()).toMatchObject([{ id: 'edge-1', compounds: ['c1', 'c2'], createdAt: '1970-01-01T00:00:00.000Z' }]);
    expect(verifyPasswordSync(secret, b.edges()[0]!.passwordHash)).toBe(true);
    const auth = new EdgeAuth(() => b.edges());
    expect(auth.scope('edge-1')).toEqual(new Set(['c1', 'c2']));
    a.revokeEdge('edge-1');
    expect(auth.scope('edge-1')).toBeNull();
    a.addEdge('edge-2', ['c3']);
    expect(b.edges().map((e) => e.id)).toEqual(['edge-2']);
    const good = readFileSync(join(dir, 'credentials.json'), 'utf8');
    writeFileSync(join(dir, 'credentials.json'), good.slice(0, 40));
    expect(b.edges().map((e) => e.id)).toEqual(['edge-2']);
    expect(b.problem).toMatch(/^SS_HUB_CREDENTIALS: cannot read/);
    expect(() => new CredentialStore(dir)).toThrow(/SS_HUB_CREDENTIALS/);
  });

  it('refuses bad ids and officer tokens without a department, with codes', () => {
    const s = new CredentialStore(tempDir());
    expect(() => s.addEdge('edge/1', ['c1'])).toThrow(/SS_HUB_CONFIG: edge id/);
    expect(() => s.addEdge('edge-1', [])).toThrow(/SS_HUB_CONFIG: --compounds/);
    expect(() => s.addToken('officer')).toThrow(/SS_HUB_CONFIG: a officer token needs a department/);
    const t = s.addToken('officer', 'police');
    const auth = new CaseAuth({ departments: {}, operators: [], issued: () => new Map(s.tokens().map((x) => [x.sha256, { kind: 'officer' as const, department: x.department! }])) });
    expect(auth.identify(`Bearer ${t.token}`)).toEqual({ kind: 'officer', department: 'police' });
    expect(s.tokens()[0]!.sha256).toBe(tokenDigest(t.token));
    s.revokeToken(t.id);
    expect(auth.identify(`Bearer ${t.token}`)).toBeUndefined();
  });

  it('says so when an environment token is too short or malformed, instead of ignoring it', () => {
    expect(() => tokensFromEnv({ SAFESTAR_OPERATOR_TOKENS: 'abc' })).toThrow(/SS_HUB_TOKEN_SHORT: a token for operators is 3 characters/);
    expect(() => tokensFromEnv({ SAFESTAR_DEPARTMENT_TOKENS: 'police-token-0123456789' })).toThrow(/SS_HUB_CONFIG: SAFESTAR_DEPARTMENT_TOKENS entries must be DEPARTMENT:TOKEN/);
    expect(tokensFromEnv({ SAFESTAR_OFFICER_TOKENS: 'police:officer-token-0123456789' }).officers).toEqual({ police: ['officer-token-0123456789'] });
  });
});

describe('hub TLS and proxy options', () => {
  it('refuses half or non-PEM TLS options and bad proxy addresses with codes', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.pem'), 'not a pem');
    expect(loadTls({})).toBeUndefined();
    expect(() => loadTls({ tlsCert: join(dir, 'x.pem') })).toThrow(/SS_HUB_TLS: give both/);
    expect(() => loadTls({ tlsClientCa: join(dir, 'x.pem') })).toThrow(/SS_HUB_TLS: --tls-client-ca needs/);
    expect(() => loadTls({ tlsCert: join(dir, 'x.pem'), tlsKey: join(dir, 'x.pem') })).toThrow(/SS_HUB_TLS: --tls-key .* is not a PEM file/);
    expect(() => loadTls({ tlsCert: join(dir, 'x.pem'), tlsKey: join(dir, 'nope.pem') })).toThrow(/SS_HUB_TLS: cannot read/);
    expect(parseProxies('10.0.0.5, 10.1.0.0/16,::1')).toEqual(['10.0.0.5', '10.1.0.0/16', '::1']);
    expect(() => parseProxies('10.0.0.0/33')).toThrow(/SS_HUB_CONFIG: --trusted-proxy '10.0.0.0\/33'/);
    expect(() => parseProxies('proxy.local')).toThrow(/SS_HUB_CONFIG/);
  });
});
