// Types of bin/compiled.js (plain JavaScript: it runs before tsx's loader is registered).
export declare const BUILD_DIRS: readonly string[];
export declare const BUILD_INFO: string;
export declare function sourceFiles(root: string): string[];
export declare function sourcesDigest(root: string): string;
export type BuildStatus = { current: true; entry: string } | { current: false; reason: 'not-built' | 'stale' | 'unreadable' };
export declare function buildStatus(root: string, dist: string): BuildStatus;
export declare function distDir(root: string, env: Record<string, string | undefined>): string;
