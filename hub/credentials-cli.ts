import { writeFileSync } from 'node:fs';
import { CredentialStore, type TokenRole } from './credentials.ts';
import { HubError } from './errors.ts';

// `safestar hub edges|tokens …`: secrets go to stdout exactly once (and to --secret-out); what to
// do next goes to stderr, so `$(safestar hub tokens add operator)` captures only the token.

const say = (s: string): void => void process.stderr.write(`${s}\n`);

export function edgesAdd(edge: string, o: { data: string; compounds: string; secretOut?: string }): void {
  const store = new CredentialStore(o.data);
  const compounds = o.compounds.split(',').map((s) => s.trim()).filter(Boolean);
  const secret = store.addEdge(edge, compounds);
  if (o.secretOut) writeFileSync(o.secretOut, `${secret}\n`, { mode: 0o600 });
  process.stdout.write(`${secret}\n`);
  say(`edge '${edge}' may publish for ${compounds.join(', ')}; its secret is shown once${o.secretOut ? ` (and written to ${o.secretOut})` : ''}. ` +
    `Put it in the edge's site config: safestar sim kit --edge-id ${edge} --edge-secret-file FILE …`);
}

export function edgesRevoke(edge: string, o: { data: string }): void {
  if (!new CredentialStore(o.data).revokeEdge(edge)) throw new HubError('SS_HUB_CONFIG', `no edge '${edge}' in ${o.data}; see 'safestar hub edges list'`);
  say(`edge '${edge}' revoked; a connected session is closed at its next publish`);
}

export function edgesList(o: { data: string }): void {
  for (const e of new CredentialStore(o.data).edges()) process.stdout.write(`${e.id}\t${e.compounds.join(',')}\t${e.createdAt}\n`);
}

export function tokensAdd(roleArg: string, o: { data: string; department?: string }): void {
  let role: TokenRole;
  let department: string | undefined;
  if (roleArg === 'operator') role = 'operator';
  else if (roleArg === 'officer') {
    role = 'officer';
    department = o.department;
    if (!department) throw new HubError('SS_HUB_CONFIG', "an officer token needs --department (e.g. 'safestar hub tokens add officer --department police')");
  } else {
    role = 'department';
    department = roleArg;
  }
  const t = new CredentialStore(o.data).addToken(role, department);
  process.stdout.write(`${t.token}\n`);
  say(`token ${t.id} (${role}${department ? ` ${department}` : ''}) is shown once; send it as 'Authorization: Bearer TOKEN'. Revoke: safestar hub tokens revoke ${t.id}`);
}

export function tokensRevoke(id: string, o: { data: string }): void {
  if (!new CredentialStore(o.data).revokeToken(id)) throw new HubError('SS_HUB_CONFIG', `no token '${id}' in ${o.data}; see 'safestar hub tokens list'`);
  say(`token ${id} revoked`);
}

export function tokensList(o: { data: string }): void {
  for (const t of new CredentialStore(o.data).tokens()) process.stdout.write(`${t.id}\t${t.role}\t${t.department ?? ''}\t${t.createdAt}\n`);
}
