// Before any test file: the plumbing suites get bbt-shaped face photos. The real ../shared/faces/bbt when
// present (and FACEDROP_FIXTURES is not off), otherwise a stand-in made from face-api's demo photos.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FACES_DIR, hasFixtures } from '../bench/fixtures.ts';
import { writeDemoBbt } from './demo-fixture.ts';

export default async function setup(): Promise<() => void> {
  if (hasFixtures('bbt')) {
    process.env.FACEDROP_PLUMBING_FACES_DIR = FACES_DIR;
    return () => {};
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-demo-bbt-'));
  // Test files run in forked workers, which inherit this environment.
  process.env.FACEDROP_PLUMBING_FACES_DIR = await writeDemoBbt(dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
