import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EDGE_NODE_FLAGS, EDGE_PROCESS_ENV, edgeStartPlan, missingNodeFlags } from '../../bin/edge-env.js';
import { heapFlagsAdvice, mallocArenaAdvice } from '../../edge/process-memory.ts';
import { BIN } from '../hub/cli-process.ts';
import { device, siteConfig, tempDir } from './helpers.ts';
import { ready } from './edge-ready.ts';

/**
 * Issue 14, memory: `safestar edge` runs with MALLOC_ARENA_MAX=2 (bin/edge-env.js). Where Node
 * has `process.execve` the bin replaces its own image, so the pid a test or an operator holds is
 * the edge's (kill -9 of it kills the edge); on Node 20 the edge runs as it is and logs
 * SS_EDGE_MALLOC_ARENAS. Each real-process check expects what the Node running it can do.
 * SS_TEST_EXECVE_NODE names a second Node binary (>= 22.15) to run the bin-level check with too.
 */
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const linux = { platform: 'linux', canExecve: true };

describe('edgeStartPlan', () => {
  it('re-executes `edge` with the variable and the node flags added, everything else kept', () => {
    const plan = edgeStartPlan(['edge', '--config', 'site.json'], { PATH: '/bin', LOG_LEVEL: 'warn', GONE: undefined }, linux, ['--expose-gc']);
    expect(plan).toEqual({ action: 'execve', env: { PATH: '/bin', LOG_LEVEL: 'warn', ...EDGE_PROCESS_ENV }, execArgv: ['--expose-gc', ...EDGE_NODE_FLAGS] });
    expect(EDGE_PROCESS_ENV.MALLOC_ARENA_MAX).toBe('2');
    expect(EDGE_NODE_FLAGS).toEqual(['--heap-growing-percent=25', '--max-semi-space-size=32']);
    // Only what is missing is added: the variable set, the flag not (or the other way round).
    expect(edgeStartPlan(['edge'], { MALLOC_ARENA_MAX: '2' }, linux, [])).toEqual({ action: 'execve', env: { MALLOC_ARENA_MAX: '2' }, execArgv: [...EDGE_NODE_FLAGS] });
    expect(edgeStartPlan(['edge'], {}, linux, [...EDGE_NODE_FLAGS])).toEqual({ action: 'execve', env: { ...EDGE_PROCESS_ENV }, execArgv: [...EDGE_NODE_FLAGS] });
  });

  it("keeps the operator's values, whatever they are, and so never loops", () => {
    expect(edgeStartPlan(['edge'], { MALLOC_ARENA_MAX: '8' }, linux, ['--heap-growing-percent=10', '--max-semi-space-size=8'])).toEqual({ action: 'none' });
    // One flag named by the operator: only the other is added, theirs kept as they wrote it.
    expect(edgeStartPlan(['edge'], { MALLOC_ARENA_MAX: '8' }, linux, ['--heap-growing-percent=10'])).toEqual({ action: 'execve', env: { MALLOC_ARENA_MAX: '8' }, execArgv: ['--heap-growing-percent=10', '--max-semi-space-size=32'] });
    expect(edgeStartPlan(['edge'], { MALLOC_ARENA_MAX: '2' }, linux, [...EDGE_NODE_FLAGS])).toEqual({ action: 'none' });
    expect(missingNodeFlags(['--heap-growing-percent=0', '--max-semi-space-size=16', '--expose-gc'])).toEqual([]);
    expect(missingNodeFlags(['--heap-growing-percent=0', '--expose-gc'])).toEqual(['--max-semi-space-size=32']);
    expect(missingNodeFlags(['--heap_growing_percent=50', '--max_semi_space_size=64'])).toEqual([]);
    expect(missingNodeFlags(['--heap-growing-percent-x=1'])).toEqual([...EDGE_NODE_FLAGS]);
    // The re-executed image sees what the plan gave it: nothing left to do.
    const plan = edgeStartPlan(['edge'], {}, linux, []);
    if (plan.action !== 'execve') throw new Error('expected a re-exec');
    expect(edgeStartPlan(['edge'], plan.env, linux, plan.execArgv)).toEqual({ action: 'none' });
  });

  it('leaves other commands, other platforms and a Node without process.execve alone', () => {
    expect(edgeStartPlan(['hub', 'edge'], {}, linux)).toEqual({ action: 'none' });
    expect(edgeStartPlan([], {}, linux)).toEqual({ action: 'none' });
    expect(edgeStartPlan(['edge'], {}, { platform: 'darwin', canExecve: true })).toEqual({ action: 'none' });
    // No process.execve (Node 20): nothing this process can do; the edge logs SS_EDGE_MALLOC_ARENAS.
    expect(edgeStartPlan(['edge'], {}, { platform: 'linux', canExecve: false })).toEqual({ action: 'none' });
  });
});

describe('deploy/systemd/safestar-edge.service', () => {
  it("sets what the bin sets, and starts the edge's node directly", () => {
    const unit = readFileSync(join(import.meta.dirname, '..', '..', 'deploy', 'systemd', 'safestar-edge.service'), 'utf8');
    const env = Object.fromEntries([...unit.matchAll(/^Environment=([A-Z_]+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(env).toEqual({ ...EDGE_PROCESS_ENV });
    const exec = /^ExecStart=\/usr\/bin\/node ((?:--\S+ )*)\S+\/bin\/safestar\.js edge /m.exec(unit);
    expect(exec, 'ExecStart runs /usr/bin/node [flags] …/bin/safestar.js edge').not.toBeNull();
    expect(exec![1]!.trim().split(' ')).toEqual([...EDGE_NODE_FLAGS]);
  });
});

describe('mallocArenaAdvice', () => {
  it('advises only on glibc with the variable unset', () => {
    expect(mallocArenaAdvice({}, '2.36')?.code).toBe('SS_EDGE_MALLOC_ARENAS');
    expect(mallocArenaAdvice({ MALLOC_ARENA_MAX: '4' }, '2.36')).toBeUndefined();
    expect(mallocArenaAdvice({}, undefined)).toBeUndefined();
  });
  it('heap flags: advises when a flag of EDGE_NODE_FLAGS is missing, names it, and not when any value of it is set', () => {
    expect(heapFlagsAdvice(['--expose-gc'])).toMatchObject({ code: 'SS_EDGE_HEAP_FLAGS', message: expect.stringContaining('--heap-growing-percent=25') as string });
    expect(heapFlagsAdvice([...EDGE_NODE_FLAGS])).toBeUndefined();
    expect(heapFlagsAdvice(['--heap-growing-percent=40', '--max-semi-space-size=64'])).toBeUndefined();
    expect(heapFlagsAdvice(['--heap-growing-percent=40'])?.message).toMatch(/missing: --max-semi-space-size=32\)$/);
  });
});

function withoutArenaVar(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  delete env['MALLOC_ARENA_MAX'];
  return env;
}

const canExecve = (node: string): boolean => execFileSync(node, ['-p', "typeof process.execve === 'function'"], { encoding: 'utf8' }).trim() === 'true';

/** The preload's line of each image the process ran (stderr), after checking `edge token` ran once. */
type Image = { pid: number; arena: string | null; flags: string[] };
function imagesOf(node: string, preload: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Image[] {
  const r = spawnSync(node, [...nodeArgs, '--import', preload, BIN, 'edge', 'token'], { env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout) as object).toHaveProperty('token');
  return r.stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Image);
}

describe('bin/safestar.js edge', () => {
  const nodes = [process.execPath, ...(process.env['SS_TEST_EXECVE_NODE'] ? [process.env['SS_TEST_EXECVE_NODE']] : [])];
  for (const node of nodes) {
    it(`keeps its pid and gains the setting where ${node} can (a preload runs in each image)`, () => {
      const t = tempDir('safestar-edgeenv-');
      cleanups.push(t.cleanup);
      const preload = join(t.dir, 'preload.mjs');
      writeFileSync(preload, "process.stderr.write(JSON.stringify({ pid: process.pid, arena: process.env.MALLOC_ARENA_MAX ?? null, flags: process.execArgv.filter((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--max-semi-space-size')) }) + '\\n');\n");
      const got = imagesOf(node, preload, withoutArenaVar());
      const pid = got[0]!.pid;
      if (canExecve(node)) expect(got).toEqual([{ pid, arena: null, flags: [] }, { pid, arena: '2', flags: [...EDGE_NODE_FLAGS] }]);
      else expect(got).toEqual([{ pid, arena: null, flags: [] }]);
      // An operator's own values are kept: one image, their values.
      const own = imagesOf(node, preload, { ...withoutArenaVar(), MALLOC_ARENA_MAX: '8' }, ['--heap-growing-percent=10', '--max-semi-space-size=8']);
      expect(own).toEqual([{ pid: expect.any(Number) as number, arena: '8', flags: ['--heap-growing-percent=10', '--max-semi-space-size=8'] }]);
    });
  }

  it('is the edge itself: the spawned pid has the setting (or logs why not) and kill -9 of it ends the broker', async () => {
    const t = tempDir('safestar-edgeenv-');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'site.json');
    writeFileSync(file, JSON.stringify(siteConfig(join(t.dir, 'data'), 'mqtt://127.0.0.1:1', [device('d1')])));
    const proc = spawn(process.execPath, [BIN, 'edge', '--config', file, '--no-scorer'], { env: withoutArenaVar(), stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
    const { brokerUrl, log } = await ready(proc);
    const environ = readFileSync(`/proc/${proc.pid}/environ`, 'utf8').split('\0');
    const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0');
    if (canExecve(process.execPath)) {
      expect(environ).toContain('MALLOC_ARENA_MAX=2');
      expect(cmdline).toEqual(expect.arrayContaining([...EDGE_NODE_FLAGS]));
      expect(log()).not.toContain('SS_EDGE_MALLOC_ARENAS');
      expect(log()).not.toContain('SS_EDGE_HEAP_FLAGS');
    } else {
      expect(environ.some((v) => v.startsWith('MALLOC_ARENA_MAX='))).toBe(false);
      expect(cmdline.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--max-semi-space-size'))).toBe(false);
      expect(log()).toContain('SS_EDGE_MALLOC_ARENAS');
      expect(log()).toContain('SS_EDGE_HEAP_FLAGS');
    }
    const port = Number(new URL(brokerUrl).port);
    expect(await accepts(port)).toBe(true);
    const exited = new Promise<NodeJS.Signals | null>((r) => proc.once('exit', (_c, sig) => r(sig)));
    proc.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await accepts(port)).toBe(false);
  }, 60_000);

  it('with the variable and the flags set by its service: no advice in the log, a clean SIGTERM exit', async () => {
    const t = tempDir('safestar-edgeenv-');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'site.json');
    writeFileSync(file, JSON.stringify(siteConfig(join(t.dir, 'data'), 'mqtt://127.0.0.1:1', [device('d1')])));
    const proc = spawn(process.execPath, [...EDGE_NODE_FLAGS, BIN, 'edge', '--config', file, '--no-scorer'], { env: { ...withoutArenaVar(), ...EDGE_PROCESS_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
    const { log } = await ready(proc);
    expect(readFileSync(`/proc/${proc.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log()).not.toContain('SS_EDGE_MALLOC_ARENAS');
    expect(log()).not.toContain('SS_EDGE_HEAP_FLAGS');
  }, 60_000);
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
