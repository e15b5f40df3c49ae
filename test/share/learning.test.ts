// Issue 21, end to end: bbt's 8 members register through the CLI with one tight greyscale selfie each; the
// five colour group photos are shared to a real album server. Faces matched with confidence become
// references, the event's photos are matched again, and members get more of the photos they are in than with
// their selfies alone: in one `share` run, and when the photos come one per run. (The issue asks for 0.90;
// measured 0.73: bbt's photos are of different scenes, and its misses lie 0.40-0.63 from every other face of
// theirs, beyond any threshold that keeps the bound: README, "Learned references".)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { hasFixtures, loadFixture } from '../../bench/fixtures.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { read, tempDir } from '../helpers.ts';
import { runCli } from '../processes.ts';

describe.skipIf(!hasFixtures('bbt'))('bbt: one selfie each, the group learns its members\' faces', () => {
  const fx = hasFixtures('bbt') ? loadFixture('bbt') : undefined;
  let engine: FaceEngine;
  let album: AlbumServer;
  let albumDir: string;

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    albumDir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-learning-'));
    album = await startAlbumServer(loadConfig({ DATA_DIR: albumDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', UPLOAD_RATE_LIMIT: '100000' }, { dotenv: false }), { engine });
  });
  afterAll(async () => {
    await album?.close();
    await engine?.close();
    fs.rmSync(albumDir, { recursive: true, force: true });
  });

  /** A group of bbt's members, each on a fresh account of its own (`tag` keeps the runs apart), registered
   * through the CLI in one XML import. */
  async function register(tag: string, extra: Record<string, string> = {}): Promise<{ env: Record<string, string>; tokens: Map<string, string> }> {
    const env = { DATA_DIR: tempDir(), LOG_LEVEL: 'silent', FACE_THREADS: '2', ...extra };
    const tokens = new Map<string, string>();
    const entries: string[] = [];
    for (const m of fx!.members) {
      const selfie = fx!.selfies[m]![0]!;
      tokens.set(m, (await createAccount(album.url, `${tag}-${m}`, [read(selfie)])).token);
      fs.copyFileSync(selfie, path.join(env.DATA_DIR, `${m}.png`));
      entries.push(`  <contact><name>${m}</name><albumserveraddress>${album.url}</albumserveraddress><username>${tag}-${m}</username><photo>${m}.png</photo></contact>`);
    }
    const xml = path.join(env.DATA_DIR, 'contacts.xml');
    fs.writeFileSync(xml, `<?xml version="1.0"?>\n<contacts>\n${entries.join('\n')}\n</contacts>\n`);
    const imported = await runCli(['contacts', 'import', xml, '--group', 'bbt'], env);
    expect(imported.stdout, imported.stderr).toContain(`Imported ${fx!.members.length} of ${fx!.members.length}`);
    return { env, tokens };
  }

  /** Each member's album against the truth: photos rightly there, and any photo that should not be. */
  async function score(tokens: Map<string, string>, photos: string[]): Promise<{ right: number; wrong: string[]; expected: number }> {
    const sha = new Map(photos.map((p) => [crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') as string, p]));
    let right = 0;
    const wrong: string[] = [];
    for (const m of fx!.members) {
      for (const photo of (await getAlbum(album.url, tokens.get(m)!)).photos) {
        const file = sha.get(photo.sha256);
        if (file && fx!.photos[file]!.includes(m)) right++;
        else wrong.push(`${m} got ${file ?? photo.sha256}`);
      }
    }
    return { right, wrong, expected: photos.reduce((n, p) => n + fx!.photos[p]!.length, 0) };
  }

  /** Recall with nothing learned (EVENT_WINDOW_MINUTES=0: selfies only), the same photos in one run. */
  let baseline = 0;

  it('without learning (the baseline): precision 1.000', { timeout: 600_000 }, async () => {
    const { env, tokens } = await register('base', { EVENT_WINDOW_MINUTES: '0' });
    const photos = Object.keys(fx!.photos);
    const shared = await runCli(['share', '--group', 'bbt', '--json', ...photos], env);
    expect(shared.code, shared.stderr).toBe(0);
    const { right, wrong, expected } = await score(tokens, photos);
    expect(wrong).toEqual([]);
    baseline = right / expected;
    process.stdout.write(`bbt without learning: ${right}/${expected}\n`);
  });

  it('one share run: more of the members\' photos than without learning, some of them late; precision 1.000', { timeout: 600_000 }, async () => {
    const { env, tokens } = await register('run');
    const photos = Object.keys(fx!.photos);
    const shared = await runCli(['share', '--group', 'bbt', '--json', ...photos], env);
    expect(shared.code, shared.stderr).toBe(0);
    const report = JSON.parse(shared.stdout) as { photos: Array<{ file: string; deliveries?: Array<{ name: string; late?: boolean }> }> };
    const { right, wrong, expected } = await score(tokens, photos);
    const late = report.photos.flatMap((p) => (p.deliveries ?? []).filter((d) => d.late));
    process.stdout.write(`bbt learning, one run: ${right}/${expected} (late ${late.length}), wrong ${wrong.length}\n`);
    expect(wrong).toEqual([]);
    expect(right / expected).toBeGreaterThan(baseline);
    expect(late.length).toBeGreaterThan(0);
  });

  it('one photo per run, in a fixed shuffled order: at least the baseline, precision 1.000', { timeout: 600_000 }, async () => {
    const { env, tokens } = await register('each');
    const order = ['group/bbt3.jpg', 'group/bbt1.jpg', 'group/bbt5.jpg', 'group/bbt2.jpg', 'group/bbt4.jpg'].map((p) => path.join(path.dirname(Object.keys(fx!.photos)[0]!), path.basename(p)));
    for (const photo of order) {
      const shared = await runCli(['share', '--group', 'bbt', '--json', photo], env);
      expect(shared.code, shared.stderr).toBe(0);
    }
    const later = order.slice(Math.ceil(order.length / 2));
    const all = await score(tokens, order);
    expect(all.wrong).toEqual([]);
    // The later half's recall: of the members in those photos, how many have that photo in their album.
    let right = 0;
    let expected = 0;
    for (const photo of later) {
      const sha = crypto.createHash('sha256').update(fs.readFileSync(photo)).digest('hex') as string;
      for (const m of fx!.photos[photo]!) {
        expected++;
        if ((await getAlbum(album.url, tokens.get(m)!)).photos.some((p) => p.sha256 === sha)) right++;
      }
    }
    process.stdout.write(`bbt learning, one photo per run: later half ${right}/${expected}, all ${all.right}/${all.expected}\n`);
    expect(all.right / all.expected).toBeGreaterThan(baseline);
  });
});
