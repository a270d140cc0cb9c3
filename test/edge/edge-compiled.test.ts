import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_DIRS, BUILD_INFO, buildStatus, distDir, sourcesDigest } from '../../bin/compiled.js';
import { buildAdvice } from '../../edge/process-memory.ts';
import { BIN } from '../hub/cli-process.ts';
import { ready } from './edge-ready.ts';
import { PASSWORD, connectDevice, device, fenceAlarm, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

/**
 * Issue 14, memory: `safestar edge` runs the JavaScript of `npm run build` (dist/) when it was
 * built from exactly the sources beside it, else the sources through tsx and says so
 * (SS_EDGE_UNCOMPILED). The real build is made once into a folder of its own inside the package
 * (node_modules must resolve from it), so the suite never touches the package's dist/.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A package folder of its own: package.json and one source file per build folder it names. */
function fixtureRoot(): string {
  const t = tempDir('safestar-build-');
  cleanups.push(t.cleanup);
  writeFileSync(join(t.dir, 'package.json'), '{"name":"x","type":"module"}\n');
  mkdirSync(join(t.dir, 'edge'));
  writeFileSync(join(t.dir, 'edge', 'a.ts'), 'export const a = 1;\n');
  return t.dir;
}

/** Writes what bin/build.js writes for `root`'s sources as they are now (without compiling). */
function fakeBuild(root: string, sources = sourcesDigest(root)): string {
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'cli'), { recursive: true });
  writeFileSync(join(dist, 'cli', 'main.js'), '');
  writeFileSync(join(dist, BUILD_INFO), JSON.stringify({ sources }));
  return dist;
}

describe('buildStatus', () => {
  it('is current only for a build of the sources as they are, and says why not', () => {
    const root = fixtureRoot();
    const dist = join(root, 'dist');
    expect(buildStatus(root, dist)).toEqual({ current: false, reason: 'not-built' });
    fakeBuild(root);
    expect(buildStatus(root, dist)).toEqual({ current: true, entry: join(dist, 'cli', 'main.js') });
    // Edited, added or removed sources make it stale, as does package.json.
    writeFileSync(join(root, 'edge', 'a.ts'), 'export const a = 2;\n');
    expect(buildStatus(root, dist)).toEqual({ current: false, reason: 'stale' });
    fakeBuild(root);
    writeFileSync(join(root, 'edge', 'b.ts'), '');
    expect(buildStatus(root, dist)).toMatchObject({ reason: 'stale' });
    rmSync(join(root, 'edge', 'b.ts'));
    expect(buildStatus(root, dist)).toMatchObject({ current: true });
    writeFileSync(join(root, 'package.json'), '{"name":"x","type":"module","version":"2"}\n');
    expect(buildStatus(root, dist)).toMatchObject({ reason: 'stale' });
    fakeBuild(root);
    writeFileSync(join(dist, BUILD_INFO), '{"sources":');
    expect(buildStatus(root, dist)).toEqual({ current: false, reason: 'unreadable' });
  });

  it('is not made stale by prose or by what a benchmark run writes', () => {
    const root = fixtureRoot();
    const dist = fakeBuild(root);
    writeFileSync(join(root, 'edge', 'README.md'), '# notes\n');
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results', 'run.json'), '{}');
    expect(buildStatus(root, dist)).toMatchObject({ current: true });
    // A bench source is a source.
    writeFileSync(join(root, 'bench', 'suite.ts'), '');
    expect(buildStatus(root, dist)).toMatchObject({ reason: 'stale' });
  });

  it('covers the folders tsconfig.build.json compiles, and SS_EDGE_DIST names another build', () => {
    const cfg = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect([...cfg.include].sort()).toEqual([...BUILD_DIRS].sort());
    expect(distDir('/opt/safestar', {})).toBe(join('/opt/safestar', 'dist'));
    expect(distDir('/opt/safestar', { SS_EDGE_DIST: '/opt/safestar/dist-2' })).toBe('/opt/safestar/dist-2');
  });

  it('buildAdvice: says why the edge runs its sources, nothing when compiled or embedded', () => {
    expect(buildAdvice({ SS_EDGE_BUILD: 'sources:not-built' })).toMatchObject({ code: 'SS_EDGE_UNCOMPILED', message: expect.stringContaining('no build in dist/') as string });
    expect(buildAdvice({ SS_EDGE_BUILD: 'sources:stale' })?.message).toContain('built from other sources');
    expect(buildAdvice({ SS_EDGE_BUILD: 'compiled' })).toBeUndefined();
    expect(buildAdvice({})).toBeUndefined();
  });
});

interface Started {
  proc: ChildProcess;
  brokerUrl: string;
  log: () => string;
}

async function startEdgeProcess(file: string, env: NodeJS.ProcessEnv): Promise<Started> {
  const proc = spawn(process.execPath, [BIN, 'edge', '--config', file], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  return { proc, ...(await ready(proc)) };
}

const MARK = 'compiled-edge-marker';

describe('bin/safestar.js edge with a real build', () => {
  const built = join(ROOT, `.dist-test-${process.pid}`);
  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'bin', 'build.js'), '--out', built], { stdio: 'pipe' });
    // Marks the built edge (the digest covers the sources, not dist/): its line in the log shows
    // that the compiled code ran, not the sources.
    appendFileSync(join(built, 'edge', 'main.js'), `\nprocess.stderr.write('${MARK}\\n');\n`);
  }, 180_000);
  afterAll(() => rmSync(built, { recursive: true, force: true }));

  it('runs the compiled edge, and a device event goes through an ingest thread, the scorer, the outbox and the uplink', async () => {
    expect(buildStatus(ROOT, built)).toMatchObject({ current: true });
    const t = tempDir('safestar-compiled-');
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const file = join(t.dir, 'site.json');
    // One ingest thread: its boot must load the compiled worker beside it, not the sources.
    writeFileSync(file, JSON.stringify(siteConfig(join(t.dir, 'data'), hub.url, [device('f1')], { pipeline: { workers: 1 } })));
    const edge = await startEdgeProcess(file, { SS_EDGE_DIST: built });
    expect(edge.log()).toContain(MARK); // the code that runs is the build's
    const f1 = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void f1.end(true));
    await f1.publishAsync(topicOf(device('f1')), fenceAlarm(1), { qos: 1 }); // PUBACKed once in the outbox
    await until(() => hub.events.length >= 1, 15_000, 'the event at the hub');
    expect(hub.events[0]).toMatchObject({ device: 'f1', compound: 'c1' });
    expect(hub.events[0]?.['score']).toMatchObject({ model: expect.stringMatching(/^kt-/) as string, value: expect.any(Number) as number });
    expect(edge.log()).not.toContain('SS_EDGE_UNCOMPILED');
    expect(edge.log()).not.toContain('SS_SCORER');
    // A worker that failed to load would be logged, and its messages ingested on the main thread.
    expect(edge.log()).not.toContain('SS_EDGE_INGEST_WORKER');
  }, 90_000);

  it('a build of other sources is not run: the sources are, through tsx, and the log says why', async () => {
    const t = tempDir('safestar-compiled-');
    cleanups.push(t.cleanup);
    const stale = join(ROOT, `.dist-test-${process.pid}-stale`);
    cleanups.push(() => rmSync(stale, { recursive: true, force: true }));
    mkdirSync(join(stale, 'cli'), { recursive: true });
    // A build that would fail loudly if it were run.
    writeFileSync(join(stale, 'cli', 'main.js'), "throw new Error('the stale build ran');\n");
    writeFileSync(join(stale, BUILD_INFO), JSON.stringify({ sources: '0'.repeat(64) }));
    const file = join(t.dir, 'site.json');
    writeFileSync(file, JSON.stringify(siteConfig(join(t.dir, 'data'), 'mqtt://127.0.0.1:1', [device('f1')])));
    const edge = await startEdgeProcess(file, { SS_EDGE_DIST: stale });
    expect(edge.log()).toContain('SS_EDGE_UNCOMPILED');
    expect(edge.log()).toContain('built from other sources');
    expect(edge.log()).not.toContain('the stale build ran');
    expect(edge.log()).not.toContain(MARK);
  }, 90_000);
});
