// Worker threads start faster from one plain-JS file than through tsx, whose loader thread and per-module
// hooks cost each worker about 0.3 s of CPU at every start (bench "whole"). So the worker's sources are
// bundled by esbuild (the one tsx itself uses) into node_modules/.cache/facedrop, and bundled again only when
// one of them changes. When that cannot be done (no esbuild, read-only folder) workers use tsx as before.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(ENTRY), '..', '..');
/** Inside node_modules, so the bundle's package imports (sharp, onnxruntime-node) resolve as from the sources. */
export const WORKER_CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'facedrop');
const MANIFEST = path.join(WORKER_CACHE_DIR, 'face-worker.json');

interface Manifest {
  /** The bundle names its models by absolute path: a moved checkout bundles again. */
  root: string;
  bundle: string;
  /** Every bundled source file with its size and modification time when it was bundled. */
  inputs: Array<{ file: string; size: number; mtimeMs: number }>;
}

function fresh(manifest: Manifest): boolean {
  if (manifest.root !== ROOT || !fs.existsSync(path.join(WORKER_CACHE_DIR, manifest.bundle))) return false;
  return manifest.inputs.every((i) => {
    const s = fs.statSync(path.join(ROOT, i.file), { throwIfNoEntry: false });
    return s !== undefined && s.size === i.size && s.mtimeMs === i.mtimeMs;
  });
}

/** The bundled worker's URL, bundling it first if a source changed; undefined when it cannot be had. */
export async function bundledWorker(): Promise<URL | undefined> {
  try {
    const known = fs.existsSync(MANIFEST) ? (JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest) : undefined;
    if (known && fresh(known)) return pathToFileURL(path.join(WORKER_CACHE_DIR, known.bundle));
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      absWorkingDir: ROOT,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          // Each source keeps its own import.meta.url (models are found next to the module that names them).
          name: 'own-import-meta-url',
          setup(build) {
            build.onLoad({ filter: /\.ts$/ }, (args) => ({
              contents: fs.readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)),
              loader: 'ts',
            }));
          },
        },
      ],
    });
    const code = result.outputFiles?.[0]?.contents;
    if (!code || !result.metafile) return undefined;
    const bundle = `face-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
    fs.mkdirSync(WORKER_CACHE_DIR, { recursive: true });
    const target = path.join(WORKER_CACHE_DIR, bundle);
    // Written under a temporary name and renamed: a process starting meanwhile never loads half a file.
    const temp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temp, code);
    fs.renameSync(temp, target);
    const inputs = Object.keys(result.metafile.inputs).map((f) => {
      const file = path.relative(ROOT, path.resolve(ROOT, f));
      const s = fs.statSync(path.join(ROOT, file));
      return { file, size: s.size, mtimeMs: s.mtimeMs };
    });
    const manifest: Manifest = { root: ROOT, bundle, inputs };
    fs.writeFileSync(`${MANIFEST}.${process.pid}.tmp`, JSON.stringify(manifest));
    fs.renameSync(`${MANIFEST}.${process.pid}.tmp`, MANIFEST);
    return pathToFileURL(target);
  } catch {
    return undefined;
  }
}
