// Runs the TypeScript sources without paying tsx at every start (its loader costs about 0.5 s of CPU per
// process, and as much again per worker thread): esbuild, the one tsx itself uses, bundles an entry's sources
// into node_modules/.cache/facedrop, and bundles again when one of them changes. Used by bin/facedrop.js (the
// CLI) and core/faces/worker-bundle.ts (the face workers). Plain JavaScript: it runs before any TS loader.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Inside node_modules, so a bundle's package imports (sharp, onnxruntime-node...) resolve as from the sources. */
export const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'facedrop');

const manifestFile = (name) => path.join(CACHE_DIR, `${name}.json`);

/** The entry URL of bundle `name` when it is there and none of its sources changed since; else undefined. */
export function freshBundle(name) {
  try {
    const manifest = JSON.parse(fs.readFileSync(manifestFile(name), 'utf8'));
    // A bundle names its models and assets by absolute path: a moved checkout bundles again.
    if (manifest.root !== ROOT || !fs.existsSync(path.join(CACHE_DIR, manifest.bundle))) return undefined;
    for (const input of manifest.inputs) {
      const s = fs.statSync(path.join(ROOT, input.file), { throwIfNoEntry: false });
      if (!s || s.size !== input.size || s.mtimeMs !== input.mtimeMs) return undefined;
    }
    return pathToFileURL(path.join(CACHE_DIR, manifest.bundle));
  } catch {
    return undefined;
  }
}

// Each source keeps its own import.meta.url and .dirname (models and assets are found next to their module).
const ownImportMeta = {
  name: 'own-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mjs)$/ }, (args) => ({
      contents: fs
        .readFileSync(args.path, 'utf8')
        .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
        .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(path.dirname(args.path))),
      loader: args.path.endsWith('.ts') ? 'ts' : 'js',
    }));
  },
};

/**
 * Bundles `entry` (a path inside the repository) as `name`, code-split at dynamic imports when `splitting`;
 * returns the bundle's entry URL, or undefined when that cannot be done (no esbuild, read-only folder).
 */
export async function buildBundle(name, entry, { splitting = false } = {}) {
  try {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [path.join(ROOT, entry)],
      bundle: true,
      splitting,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      metafile: true,
      outdir: path.join(ROOT, 'out'),
      outExtension: { '.js': '.mjs' },
      absWorkingDir: ROOT,
      logLevel: 'silent',
      plugins: [ownImportMeta],
    });
    const hash = createHash('sha256');
    for (const f of result.outputFiles) hash.update(path.basename(f.path)).update(f.contents);
    const dir = `${name}-${hash.digest('hex').slice(0, 16)}`;
    const [entryOut] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint !== undefined) ?? [];
    if (!entryOut) return undefined;
    const bundle = `${dir}/${path.basename(entryOut)}`;
    const target = path.join(CACHE_DIR, dir);
    if (!fs.existsSync(target)) {
      // Written to a temporary folder and renamed: a process starting meanwhile never loads half a bundle.
      const temp = `${target}.${process.pid}.tmp`;
      fs.mkdirSync(temp, { recursive: true });
      for (const f of result.outputFiles) fs.writeFileSync(path.join(temp, path.basename(f.path)), f.contents);
      try {
        fs.renameSync(temp, target);
      } catch (error) {
        fs.rmSync(temp, { recursive: true, force: true });
        if (!fs.existsSync(target)) throw error; // else another process wrote the same bundle first
      }
    }
    const inputs = Object.keys(result.metafile.inputs).map((f) => {
      const file = path.relative(ROOT, path.resolve(ROOT, f));
      const s = fs.statSync(path.join(ROOT, file));
      return { file, size: s.size, mtimeMs: s.mtimeMs };
    });
    const temp = `${manifestFile(name)}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify({ root: ROOT, bundle, inputs }));
    fs.renameSync(temp, manifestFile(name));
    return pathToFileURL(path.join(CACHE_DIR, bundle));
  } catch {
    return undefined;
  }
}
