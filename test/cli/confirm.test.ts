// `facedrop share --json` lists near misses as `unsure`; `facedrop share --confirm` delivers them through the
// album's normal check. Real processes, a real album server over HTTP.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { loadPlumbingFixture, read } from '../helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'facedrop.js');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Report {
  photos: Array<{ file: string; deliveries: Array<{ name: string; outcome: string }>; unsure: Array<{ name: string; distance: number; question?: number; outcome?: string }> }>;
  unsure: Array<{ file: string; name: string; distance: number; outcome?: string }>;
}

describe('facedrop share: unsure faces and --confirm', () => {
  const fx = loadPlumbingFixture();
  let engine: FaceEngine;
  let album: AlbumServer;
  let dir: string;
  let env: Record<string, string>;
  const tokens: Record<string, string> = {};
  let photoDir: string;

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-cli-confirm-'));
    album = await startAlbumServer(loadConfig({ DATA_DIR: path.join(dir, 'album'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, { dotenv: false }), { engine });
    // A very strict bound (1 stranger in a million) puts the group's threshold near 0.19; a heavily compressed
    // copy of bbt2 moves leonard's and sheldon's faces to about 0.4 from their selfies: beyond the group's
    // threshold, within the album's 0.62, far ahead of anyone else. Near misses.
    env = { DATA_DIR: path.join(dir, 'cli'), LOG_LEVEL: 'silent', FACE_THREADS: '1', MATCH_FALSE_MATCH_RATE: '0.000001' };
    for (const m of ['leonard', 'sheldon', 'penny']) {
      tokens[m] = (await createAccount(album.url, m, [read(fx.selfies[m]![0]!)])).token;
      const add = await run(['contacts', 'add', '--name', m, '--album', album.url, '--username', m, '--photo', fx.selfies[m]![0]!, '--group', 'lab'], env);
      expect(add.code, add.stderr).toBe(0);
    }
    photoDir = path.join(dir, 'photos');
    fs.mkdirSync(photoDir);
    const bbt2 = Object.keys(fx.photos).find((p) => p.endsWith('/bbt2.jpg'))!;
    await sharp(fs.readFileSync(bbt2)).jpeg({ quality: 5 }).toFile(path.join(photoDir, 'blurry.jpg'));
  });

  afterAll(async () => {
    await album?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('[4] --json lists the near misses as unsure and delivers nothing; sharing again asks no second question; --confirm delivers them through the album check', async () => {
    const first = await run(['share', '--group', 'lab', '--json', photoDir], env);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as Report;
    expect(report.photos[0]!.deliveries).toEqual([]);
    expect(report.unsure.map((u) => u.name).sort()).toEqual(['leonard', 'sheldon']);
    for (const u of report.unsure) {
      expect(u.distance).toBeGreaterThan(0.19);
      expect(u.distance).toBeLessThan(0.62);
    }
    expect((await getAlbum(album.url, tokens.leonard!)).photos).toEqual([]);

    // The same photo again: still unsure, and the same stored questions (one per photo and member).
    const again = JSON.parse((await run(['share', '--group', 'lab', '--json', photoDir], env)).stdout) as Report;
    expect(again.photos[0]!.unsure.map((u) => u.question).sort()).toEqual(report.photos[0]!.unsure.map((u) => u.question).sort());

    // --confirm without paths: the open questions of earlier runs, each delivered through the album's check.
    const confirmed = await run(['share', '--group', 'lab', '--confirm', '--json'], env);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    const body = JSON.parse(confirmed.stdout) as { confirmed: Array<{ name: string; outcome: string }> };
    expect(body.confirmed.map((c) => [c.name, c.outcome]).sort()).toEqual([
      ['leonard', 'delivered'],
      ['sheldon', 'delivered'],
    ]);
    expect((await getAlbum(album.url, tokens.leonard!)).photos).toHaveLength(1);
    expect((await getAlbum(album.url, tokens.sheldon!)).photos).toHaveLength(1);
    expect((await getAlbum(album.url, tokens.penny!)).photos).toEqual([]);
    // Nothing is left to confirm.
    expect((JSON.parse((await run(['share', '--group', 'lab', '--confirm', '--json'], env)).stdout) as { confirmed: unknown[] }).confirmed).toEqual([]);

    // The confirmed faces were learned (issue 21): a new copy of that evening's photo arrives at once, and
    // --confirm has nothing left to ask about in it.
    await sharp(path.join(photoDir, 'blurry.jpg')).jpeg({ quality: 6 }).toFile(path.join(dir, 'blurry2.jpg'));
    const direct = JSON.parse((await run(['share', '--group', 'lab', '--confirm', '--json', path.join(dir, 'blurry2.jpg')], env)).stdout) as Report;
    expect(direct.unsure).toEqual([]);
    expect(direct.photos[0]!.deliveries.map((d) => [d.name, d.outcome]).sort()).toEqual([
      ['leonard', 'delivered'],
      ['sheldon', 'delivered'],
    ]);
    expect((await getAlbum(album.url, tokens.leonard!)).photos).toHaveLength(2);
  });

  it('share without paths and without --confirm is a clear error', async () => {
    const r = await run(['share', '--group', 'lab'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/give photo files or folders/);
  });
});
