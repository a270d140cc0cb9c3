// Which code a `safestar edge` runs (issue 14, memory): the JavaScript `npm run build` compiled
// into dist/ when it was compiled from exactly the sources beside it, else the TypeScript sources
// through tsx. Plain JavaScript, like edge-env.js: it runs before any loader is registered.
//
// Why it matters: tsx compiles each module on Node's module-hooks thread, a second V8 isolate
// that stays for the life of the process with what it compiled. In an edge
// with 2,000 devices that was 25-35 MiB of the RSS (edge/README.md "Memory"), a tenth of the
// 300 MiB budget, for code that does not change while the edge runs.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * The folders `npm run build` compiles or copies (tsconfig.build.json "include"; a test keeps them
 * equal). bin/ is plain JavaScript: copied, so dist/edge finds ../bin/edge-env.js.
 */
export const BUILD_DIRS = Object.freeze(['bench', 'bin', 'cli', 'common', 'dashboards', 'edge', 'hub', 'models', 'protocol', 'simulators']);

/** What the build writes beside the code: the sources' digest it was compiled from. */
export const BUILD_INFO = 'BUILD.json';

/** What a run writes into the build's folders: not sources (a benchmark run must not make the build stale). */
const NOT_SOURCES = Object.freeze(['bench/results']);

/** Files of the build's folders that decide what dist/ holds: all but the prose and NOT_SOURCES. */
export function sourceFiles(root) {
  /** @type {string[]} */
  const out = [];
  const walk = (/** @type {string} */ dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (NOT_SOURCES.includes(relative(root, p).split(sep).join('/'))) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !e.name.endsWith('.md')) out.push(p);
    }
  };
  for (const d of BUILD_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  return out.map((p) => relative(root, p).split(sep).join('/')).sort();
}

/**
 * sha256 over every source file's path and bytes, and package.json (its version is read at run
 * time, its "type" decides how dist/ loads). ~1.5 MB of sources: a few ms at start.
 * @param {string} root the package folder
 * @returns {string}
 */
export function sourcesDigest(root) {
  const h = createHash('sha256');
  for (const f of [...sourceFiles(root), 'package.json']) {
    h.update(f);
    h.update('\0');
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

/**
 * Whether `dist` holds a build of the sources in `root` as they are now.
 * @param {string} root the package folder
 * @param {string} dist the build's folder
 * @returns {{ current: true, entry: string } | { current: false, reason: 'not-built' | 'stale' | 'unreadable' }}
 */
export function buildStatus(root, dist) {
  const info = join(dist, BUILD_INFO);
  const entry = join(dist, 'cli', 'main.js');
  if (!existsSync(info) || !existsSync(entry)) return { current: false, reason: 'not-built' };
  let built;
  try {
    built = JSON.parse(readFileSync(info, 'utf8')).sources;
  } catch {
    return { current: false, reason: 'unreadable' };
  }
  return built === sourcesDigest(root) ? { current: true, entry } : { current: false, reason: 'stale' };
}

/** The build folder bin/safestar.js looks in: SS_EDGE_DIST, else <package>/dist. */
export function distDir(root, env) {
  return env.SS_EDGE_DIST || join(root, 'dist');
}
