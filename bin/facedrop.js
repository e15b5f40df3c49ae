#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so there is no build step to remember.
import { register } from 'tsx/esm/api';

register();
// Face workers start loading now, in parallel with the CLI's own modules (cli/prewarm.ts).
(await import('../cli/prewarm.ts')).prewarmFaceEngine(process.argv);
await import('../cli/main.ts');
