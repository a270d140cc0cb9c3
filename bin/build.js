#!/usr/bin/env node
// `npm run build`: compile the sources into dist/ (tsc, tsconfig.build.json), copy the files the
// code reads beside itself (models, static pages, worker boots, package.json) and write the
// sources' digest, so bin/safestar.js runs the edge from dist/ only while it matches
// (bin/compiled.js). Built in a fresh folder and swapped in whole: an edge never loads half of an
// old build and half of a new one.
//   node bin/build.js [--out <folder>]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { BUILD_INFO, sourceFiles, sourcesDigest } from './compiled.js';

const root = resolve(import.meta.dirname, '..');
const at = process.argv.indexOf('--out');
const out = resolve(at > 0 && process.argv[at + 1] ? process.argv[at + 1] : join(root, 'dist'));
const fresh = `${out}.building-${process.pid}`;

// The digest of the sources as they are before compiling: a file edited during the build makes
// the build stale at once instead of passing for current.
const sources = sourcesDigest(root);
rmSync(fresh, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', fresh], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(fresh, { recursive: true, force: true });
  console.error(`SS_BUILD_TSC: tsc exited with ${r.status ?? r.signal}; fix the errors above and build again (dist/ was left as it was)`);
  process.exit(1);
}
// Every source file tsc does not compile is copied as it is (the same list the digest covers).
const assets = sourceFiles(root).filter((f) => !f.endsWith('.ts'));
for (const f of assets) {
  mkdirSync(dirname(join(fresh, f)), { recursive: true });
  cpSync(join(root, f), join(fresh, f));
}
// `../package.json` from dist/common is dist/package.json: the version, and "type": "module".
cpSync(join(root, 'package.json'), join(fresh, 'package.json'));
writeFileSync(join(fresh, BUILD_INFO), `${JSON.stringify({ sources, node: process.version }, null, 2)}\n`);
rmSync(out, { recursive: true, force: true });
renameSync(fresh, out);
console.log(`built ${out} (${assets.length} assets, sources ${sources.slice(0, 12)})`);
