// The face workers run from one esbuild bundle of their sources, made again when a source changes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundledWorker, WORKER_CACHE_DIR } from '../../core/faces/worker-bundle.ts';

const MANIFEST = path.join(WORKER_CACHE_DIR, 'face-worker.json');

describe('the bundled face worker', () => {
  it('is reused while its sources are unchanged, and made again when one changes', async () => {
    const first = await bundledWorker();
    expect(first).toBeDefined();
    const file = fileURLToPath(first!);
    expect(path.dirname(path.dirname(file))).toBe(WORKER_CACHE_DIR);
    const code = fs.readFileSync(file, 'utf8');
    // Plain JavaScript with the models' paths resolved from each source's own folder.
    expect(code).toContain('./ultraface/ultraface-rfb-320.onnx');
    expect(code).not.toContain('import.meta.url');
    const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as { inputs: Array<{ file: string; mtimeMs: number }> };
    expect(manifest.inputs.map((i) => i.file)).toEqual(expect.arrayContaining(['core/faces/worker.ts', 'core/faces/detector.ts', 'core/faces/landmarks/landmark68.ts']));

    const written = fs.statSync(MANIFEST).mtimeMs;
    expect((await bundledWorker())!.href).toBe(first!.href);
    expect(fs.statSync(MANIFEST).mtimeMs).toBe(written);

    // As if detector.ts had changed since the bundle was made.
    const stale = { ...manifest, inputs: manifest.inputs.map((i) => (i.file === 'core/faces/detector.ts' ? { ...i, mtimeMs: 0 } : i)) };
    fs.writeFileSync(MANIFEST, JSON.stringify(stale));
    expect((await bundledWorker())!.href).toBe(first!.href); // same sources, same bundle
    const remade = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as typeof manifest;
    const detector = remade.inputs.find((i) => i.file === 'core/faces/detector.ts')!;
    expect(detector.mtimeMs).toBe(fs.statSync('core/faces/detector.ts').mtimeMs);
  });
});
