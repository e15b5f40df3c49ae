import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFaceEngine } from '../core/faces/index.ts';
import { openRecords } from '../core/records/index.ts';
import { demoSamples } from './helpers.ts';
import { TIERS } from './tiers.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('test tiers', () => {
  it('puts every test file in exactly one tier, and names no file that does not exist', () => {
    const files = (fs.readdirSync(path.join(ROOT, 'test'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => `test/${f.split(path.sep).join('/')}`)
      .sort();
    const listed = Object.values(TIERS).flat();
    const twice = listed.filter((f, i) => listed.indexOf(f) !== i);
    expect(twice).toEqual([]);
    expect([...listed].sort()).toEqual(files);
  });

  // This file runs in the unit tier, so the tier's guard (test/unit-setup.ts) must stop each of these.
  it('stops a unit test that starts a process, opens a database file or runs the face engine', async () => {
    const { spawn } = await import('node:child_process');
    expect(() => spawn('true')).toThrow(/unit tier: a child process/);
    await expect(openRecords(`sqlite://${path.join(os.tmpdir(), 'facedrop-unit-tier.sqlite')}`)).rejects.toThrow(/unit tier: a database file/);
    await expect((await openRecords('memory://')).close()).resolves.toBeUndefined();
    const engine = createFaceEngine({ threads: 1 });
    await expect(engine.analyze(fs.readFileSync(demoSamples[0]!))).rejects.toThrow(/unit tier: (face workers|the face engine)/);
    await engine.close().catch(() => {});
  });
});
