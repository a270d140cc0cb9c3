import type { InferenceSession } from 'onnxruntime-node';

type Ort = typeof import('onnxruntime-node');

let ortModule: Promise<Ort> | undefined;

/**
 * onnxruntime-node, loaded on first use. Loading it maps and relocates libonnxruntime.so: ~22 MiB
 * of resident pages in an edge process (edge/README.md "Memory"), paid even when no batch ever
 * reaches it, which is the normal case for the tail detector (every batch below
 * REFERENCE_BELOW_ROWS is scored by the bit-identical TypeScript reference).
 */
export function onnxruntime(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

/** True once something in this process has asked for onnxruntime (test/edge/lazy-onnx.test.ts reads it). */
export function onnxruntimeLoaded(): boolean {
  return ortModule !== undefined;
}

/**
 * One model's onnxruntime session, created on the first `get()` and shared by every later call.
 * A creation that fails is not cached: the next batch that needs the runtime tries again, and each
 * failure reaches the caller (the batch goes unscored with a code, never silently).
 */
export class LazySession {
  private session: Promise<InferenceSession> | undefined;
  private released = false;
  constructor(private readonly bytes: Uint8Array) {}

  get(): Promise<InferenceSession> {
    // A batch formed before a model reload (or close) may run after it: it must fail, not open a
    // session that nothing would release.
    if (this.released) return Promise.reject(new Error('the model was replaced or the scorer closed; this session is released'));
    if (!this.session) {
      const p = onnxruntime().then((ort) =>
        // One intra-op thread: the edge has other work and our batches are tiny.
        ort.InferenceSession.create(this.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
      );
      this.session = p;
      p.catch(() => {
        if (this.session === p) this.session = undefined;
      });
    }
    return this.session;
  }

  async release(): Promise<void> {
    this.released = true;
    const p = this.session;
    this.session = undefined;
    const s = await p?.catch(() => undefined);
    await s?.release();
  }
}
