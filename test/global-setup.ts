// Before any test file: the plumbing suites (album, bots, CLI, terminal) get bbt-shaped face photos made
// from face-api's demo photos (test/demo-fixture.ts), always: they test plumbing, so they must neither
// skip without ../shared nor fail when a detector or threshold change moves recall on the real bbt photos.
// Accuracy on the labelled fixtures is the accuracy tests' job (test/match, test/share/crowd, london).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDemoBbt } from './demo-fixture.ts';

export default async function setup(): Promise<() => void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-demo-bbt-'));
  // Test files run in forked workers, which inherit this environment.
  process.env.FACEDROP_PLUMBING_FACES_DIR = await writeDemoBbt(dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
