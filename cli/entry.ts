// The CLI's entry; bin/facedrop.js runs it bundled (core/source-bundle.mjs) or through tsx.
import { prewarmFaceEngine } from './prewarm.ts';

// Face workers start loading now, in parallel with the CLI's own modules (prewarm.ts).
prewarmFaceEngine(process.argv);
await import('./main.ts');
