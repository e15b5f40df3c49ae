#!/usr/bin/env node
// Runs the TypeScript sources without a build step: from an esbuild bundle of them kept in
// node_modules/.cache/facedrop and made again when a source changes (core/source-bundle.mjs), which starts
// about 0.8 s of CPU faster than tsx; through tsx when no bundle can be made.
import { buildBundle, freshBundle } from '../core/source-bundle.mjs';

const bundle = freshBundle('cli') ?? (await buildBundle('cli', 'cli/entry.ts', { splitting: true }));
if (bundle) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/entry.ts');
}
