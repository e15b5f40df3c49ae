import { createHash } from 'node:crypto';
import os from 'node:os';
import { LRUCache } from 'lru-cache';
import { Piscina } from 'piscina';
import { disableOrtTelemetry } from './arcface/ort-env.ts';
import { ImageError, SelfieError } from './errors.ts';
import { pickSelfieFace } from './selfie.ts';
import { bundledWorker } from './worker-bundle.ts';
import { DESCRIPTOR_MODEL, type Analysis, type AnalysisMode, type Box, type Face } from './types.ts';
import type { WorkerResult, WorkerTask } from './worker.ts';

export interface FaceEngineOptions {
  /** Worker threads; default: one per core. Each holds its own copy of the models (~30 MB). */
  threads?: number;
  /** Analyses kept in memory, keyed by the image's SHA-256 and mode; 0 turns the cache off (benchmarks). */
  cacheEntries?: number;
}

export interface FaceEngine {
  /** Every face in an image. Throws ImageError for bytes that are not a readable image. */
  analyze(bytes: Uint8Array, mode?: AnalysisMode): Promise<Analysis>;
  /**
   * The faces of a photo around hinted boxes only (core/faces/hints.ts), found and described from the photo's
   * own pixels there; the whole photo's analysis instead when this engine has it already (a superset). Not
   * cached. Throws ImageError like analyze(). Engines without it check whole photos only.
   */
  analyzeAround?(bytes: Uint8Array, hints: readonly Box[]): Promise<Analysis>;
  /** The one face of a selfie; throws SelfieError when there is none or several of similar size. */
  selfie(bytes: Uint8Array): Promise<{ face: Face; analysis: Analysis }>;
  readonly threads: number;
  close(): Promise<void>;
}

/** An analysis asked for after close() began: nothing to report, the process is ending. */
export class EngineClosedError extends Error {
  constructor() {
    super('The face engine is shutting down');
    this.name = 'EngineClosedError';
  }
}

/** Creates a pool of face-analysis worker threads with a SHA-256-keyed result cache. */
export function createFaceEngine(options: FaceEngineOptions = {}): FaceEngine {
  const threads = options.threads ?? Math.max(1, os.availableParallelism());
  // Here, in the main thread, so the workers' onnxruntime sees it (ort-env.ts: long command lines crashed it).
  disableOrtTelemetry();
  // The bundled worker when there is one (worker-bundle.ts), else the sources through tsx.
  const pool = bundledWorker().then(
    (bundle) =>
      new Piscina<WorkerTask, WorkerResult>({
        filename: (bundle ?? new URL('./worker-entry.mjs', import.meta.url)).href,
        minThreads: threads,
        maxThreads: threads,
        idleTimeout: 60_000,
      }),
  );
  const cacheEntries = options.cacheEntries ?? 256;
  const cache = new LRUCache<string, Promise<Analysis>>({ max: Math.max(1, cacheEntries) });

  let closing: Promise<void> | undefined;
  const running = new Set<Promise<unknown>>();
  async function run(bytes: Uint8Array, mode: AnalysisMode, sha256: string, hints?: readonly Box[]): Promise<Analysis> {
    if (closing) throw new EngineClosedError();
    // Copy: the worker gets its own buffer, the caller keeps theirs.
    const task = pool.then((workers) => workers.run({ bytes: new Uint8Array(bytes), mode, ...(hints ? { hints: hints.map((h) => ({ ...h })) } : {}) }));
    running.add(task);
    const result = await task.finally(() => running.delete(task));
    if (!result.ok) throw new ImageError(result.code);
    return { sha256, width: result.width, height: result.height, faces: result.faces, descriptorModel: DESCRIPTOR_MODEL, timings: result.timings };
  }

  const engine: FaceEngine = {
    threads,
    analyze(bytes, mode = 'photo') {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const key = `${mode}:${sha256}`;
      let pending = cache.get(key);
      if (cacheEntries === 0) return run(bytes, mode, sha256);
      if (!pending) {
        pending = run(bytes, mode, sha256);
        cache.set(key, pending);
        // Failures are not cached: a transient worker error must not stick to those bytes.
        pending.catch(() => cache.delete(key));
      }
      return pending;
    },
    analyzeAround(bytes, hints) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const whole = cacheEntries === 0 ? undefined : cache.get(`photo:${sha256}`);
      return whole ?? run(bytes, 'photo', sha256, hints);
    },
    async selfie(bytes) {
      const analysis = await engine.analyze(bytes, 'selfie');
      const picked = pickSelfieFace(analysis);
      if (picked.kind !== 'one') throw new SelfieError(picked.kind, analysis.faces.length);
      return { face: picked.face, analysis };
    },
    close() {
      // Once: a second close racing the first had piscina answer tasks it had already dropped
      // ("Unexpected message from Worker") and the process exit under loading workers (Napi::Error, 134).
      closing ??= (async () => {
        cache.clear();
        // Analyses already asked for finish first: destroy() would fail them ("Terminating worker thread").
        await Promise.allSettled([...running]);
        const workers = await pool;
        // Terminating a worker while it still loads its native models aborts the whole process: an empty
        // task per thread returns (as a decode error) only once every worker has loaded.
        await Promise.allSettled(Array.from({ length: threads }, () => workers.run({ bytes: new Uint8Array(0), mode: 'photo' })));
        await workers.destroy();
      })();
      return closing;
    },
  };
  return engine;
}

let shared: FaceEngine | undefined;

/** One engine per process, so the album's check of a photo the terminal just analysed is a cache hit. */
export function sharedFaceEngine(options?: FaceEngineOptions): FaceEngine {
  shared ??= createFaceEngine(options);
  return shared;
}

/** The shared engine if something started it (the CLI's prewarm), without starting one. */
export function startedSharedFaceEngine(): FaceEngine | undefined {
  return shared;
}
