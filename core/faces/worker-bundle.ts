// The face workers run from one esbuild bundle of their sources (core/source-bundle.mjs), not through tsx,
// whose loader costs each worker about 0.5 s of CPU at every start; made again when one of them changes.
import { buildBundle, CACHE_DIR, freshBundle } from '../source-bundle.mjs';

export const WORKER_CACHE_DIR = CACHE_DIR;

/** The bundled worker's URL, bundling it first if a source changed; undefined when it cannot be had. */
export async function bundledWorker(): Promise<URL | undefined> {
  return freshBundle('face-worker') ?? (await buildBundle('face-worker', 'core/faces/worker.ts'));
}
