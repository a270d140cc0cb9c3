// Types of bin/edge-env.js (plain JavaScript: it runs before tsx's loader is registered).
export declare const EDGE_PROCESS_ENV: Readonly<{ MALLOC_ARENA_MAX: '2' }>;
export declare const EDGE_NODE_FLAGS: readonly string[];
export declare function missingNodeFlags(execArgv: readonly string[]): string[];
export type EdgeStartPlan = { action: 'none' } | { action: 'execve'; env: Record<string, string>; execArgv: string[] };
export declare function edgeStartPlan(args: readonly string[], env: Record<string, string | undefined>, host: { platform: string; canExecve: boolean }, execArgv?: readonly string[]): EdgeStartPlan;
export declare function startAsEdge(): void;
