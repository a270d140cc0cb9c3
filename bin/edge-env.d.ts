// Types of bin/edge-env.js (plain JavaScript: it runs before tsx's loader is registered).
export declare const EDGE_PROCESS_ENV: Readonly<{ MALLOC_ARENA_MAX: '2' }>;
export type EdgeStartPlan = { action: 'none' } | { action: 'execve'; env: Record<string, string> };
export declare function edgeStartPlan(args: readonly string[], env: Record<string, string | undefined>, host: { platform: string; canExecve: boolean }): EdgeStartPlan;
export declare function startAsEdge(): void;
