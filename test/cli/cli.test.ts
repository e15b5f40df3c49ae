// The facedrop CLI as a user runs it: real processes, real album server over HTTP.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { demoSamples, loadPlumbingFixture, read, tempDir } from '../helpers.ts';
import { BIN, ROOT, runCommand, type Finished } from '../processes.ts';

/** A command as a user runs it: `facedrop <args>` by default, with only PATH and HOME plus `env`. */
const run = (args: string[], env: Record<string, string>, command = process.execPath): Promise<Finished> =>
  runCommand(command, command === process.execPath ? [BIN, ...args] : args, env);

describe('facedrop --help', () => {
  it('documents every command', async () => {
    const top = await run(['--help'], {});
    expect(top.code).toBe(0);
    for (const c of ['serve', 'contacts', 'share']) expect(top.stdout).toContain(c);
    for (const sub of [['contacts', '--help'], ['contacts', 'add', '--help'], ['share', '--help'], ['serve', '--help']]) {
      const r = await run(sub, {});
      expect(r.code, sub.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: facedrop/);
    }
  });
});

const fx = loadPlumbingFixture();

describe('facedrop contacts + share against a real album server', () => {
  let engine: FaceEngine;
  let album: AlbumServer;
  const tokens: Record<string, string> = {};
  let env: Record<string, string>;
  let albumDir: string;

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    // Lives for the whole describe block (tempDir() is cleaned after each test).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-cli-album-'));
    albumDir = dir;
    album = await startAlbumServer(
      loadConfig({ DATA_DIR: path.join(dir, 'album'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, { dotenv: false }),
      { engine },
    );
    for (const m of ['leonard', 'sheldon', 'penny']) tokens[m] = (await createAccount(album.url, m, [read(fx.selfies[m]![0]!)])).token;
    const cliData = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-cli-'));
    env = { DATA_DIR: cliData, LOG_LEVEL: 'silent', FACE_THREADS: '1' };
  });
  afterAll(async () => {
    await album?.close();
    await engine?.close();
    fs.rmSync(env.DATA_DIR!, { recursive: true, force: true });
    fs.rmSync(albumDir, { recursive: true, force: true });
  });

  it('imports an XML contact file with photos beside it, and lists the group', async () => {
    const dir = tempDir();
    const [host, port] = album.url.replace('http://', '').split(':');
    const entries = ['leonard', 'sheldon', 'penny'].map((m) => {
      fs.copyFileSync(fx.selfies[m]![0]!, path.join(dir, `${m}.png`));
      return `  <contact>\n    <name>${m}</name>\n    <albumserveraddress>${host}</albumserveraddress>\n    <port>${port}</port>\n    <username>${m}</username>\n    <photo>${m}.png</photo>\n  </contact>`;
    });
    fs.writeFileSync(path.join(dir, 'contacts.xml'), `<?xml version="1.0"?>\n<contacts>\n${entries.join('\n')}\n</contacts>\n`);
    const imported = await run(['contacts', 'import', path.join(dir, 'contacts.xml'), '--group', 'friends'], env);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain('Imported 3 of 3');
    const list = await run(['contacts', 'list', '--group', 'friends', '--json'], env);
    expect(JSON.parse(list.stdout).map((c: { name: string }) => c.name)).toEqual(['leonard', 'sheldon', 'penny']);
    const exported = await run(['contacts', 'export', '--group', 'friends'], env);
    expect(exported.stdout).toContain(`<port>${port}</port>`);
  });

  it('share --json on a folder with good photos, a non-image and an unreadable file: good ones delivered, bad ones reported, exit 1', async () => {
    const dir = tempDir();
    const bbt2 = Object.keys(fx.photos).find((p) => p.endsWith('bbt2.jpg'))!;
    const bbt5 = Object.keys(fx.photos).find((p) => p.endsWith('bbt5.jpg'))!;
    fs.copyFileSync(bbt2, path.join(dir, 'a.jpg'));
    fs.copyFileSync(bbt5, path.join(dir, 'b.jpg'));
    fs.writeFileSync(path.join(dir, 'notes.jpg'), 'this is a text file with a .jpg name');
    fs.symlinkSync(path.join(dir, 'gone.jpg'), path.join(dir, 'unreadable.jpg'));
    const previews = tempDir();
    const r = await run(['share', '--group', 'friends', '--json', '--preview', previews, dir], env);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { photos: Array<{ file: string; ok: boolean; error?: { code: string }; matched?: string[] }>; failed: number };
    const byName = Object.fromEntries(report.photos.map((p) => [path.basename(p.file), p]));
    expect(report.failed, r.stdout + r.stderr).toBe(2);
    expect(byName['notes.jpg']).toMatchObject({ ok: false, error: { code: 'not_an_image' } });
    expect(byName['unreadable.jpg']).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
    expect(byName['a.jpg']!.matched!.sort(), JSON.stringify(report)).toEqual(['leonard', 'sheldon']);
    expect(byName['b.jpg']!.matched!.sort()).toEqual(['leonard', 'penny', 'sheldon']);
    // A person can check what went where: each readable photo with its faces boxed and named.
    expect(fs.readdirSync(previews).sort()).toEqual(['a.faces.jpg', 'b.faces.jpg']);
    expect(fs.readFileSync(path.join(previews, 'a.faces.jpg')).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const photos = async (m: string) => (await getAlbum(album.url, tokens[m]!)).photos.length;
    expect(await photos('leonard'), JSON.stringify(report.photos.map((p) => (p as { deliveries?: unknown }).deliveries))).toBe(2);
    expect(await photos('sheldon')).toBe(2);
    expect(await photos('penny')).toBe(1);
  });

  it('refuses a contact whose selfie shows no single face, with a clear message and exit 1', async () => {
    const r = await run(['contacts', 'add', '--name', 'x', '--album', album.url, '--username', 'x', '--no-check', '--photo', Object.keys(fx.photos)[0]!, '--group', 'friends'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/faces of similar size|No face/);
  });
});

describe('facedrop contacts add --preview / --face (issue 12)', () => {
  it('numbers the faces of a two-face selfie in a preview, adds nothing without --face, then adds only the chosen face', async () => {
    const dir = tempDir('facedrop-cli-face-');
    const env = { DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', FACE_THREADS: '1' };
    const fx = loadPlumbingFixture();
    const sharp = (await import('sharp')).default;
    const [left, right] = await Promise.all(['raj', 'amy'].map((m) => sharp(read(fx.selfies[m]![0]!)).resize({ width: 400, height: 400, fit: 'cover' }).jpeg().toBuffer()));
    const pair = path.join(dir, 'pair.jpg');
    fs.writeFileSync(
      pair,
      await sharp({ create: { width: 800, height: 400, channels: 3, background: '#777777' } })
        .composite([
          { input: left!, left: 0, top: 0 },
          { input: right!, left: 400, top: 0 },
        ])
        .jpeg()
        .toBuffer(),
    );
    const refused = await run(['contacts', 'add', '--name', 'raj', '--album', 'http://127.0.0.1:9', '--no-check', '--username', 'raj', '--photo', pair], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/2 faces of similar size/);
    const preview = path.join(dir, 'faces.jpg');
    const shown = await run(['contacts', 'add', '--name', 'raj', '--album', 'http://127.0.0.1:9', '--no-check', '--username', 'raj', '--photo', pair, '--preview', preview], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/2 face\(s\), numbered 1-2/);
    expect(fs.readFileSync(preview).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect((await run(['contacts', 'list'], env)).stdout).not.toContain('raj');
    const added = await run(['contacts', 'add', '--name', 'raj', '--album', 'http://127.0.0.1:9', '--no-check', '--username', 'raj', '--photo', pair, '--face', '1'], env);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Added raj .* with 1 selfie/);
    // Amy's face (number 2) is nobody's: she can be added from her own selfie.
    const amy = await run(['contacts', 'add', '--name', 'amy', '--album', 'http://127.0.0.1:9', '--no-check', '--username', 'amy', '--photo', fx.selfies.amy![0]!], env);
    expect(amy.code, amy.stderr).toBe(0);
    const bad = await run(['contacts', 'add', '--name', 'x', '--album', 'http://127.0.0.1:9', '--no-check', '--username', 'x', '--photo', pair, '--face', '3'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no face 3/);
  });
});

describe('facedrop share with a long command line', () => {
  it('share --json with 1,100 file arguments of ~70 characters each completes and reports every photo', async () => {
    // ~80 KB of arguments: onnxruntime's telemetry used to run a recursive regex over /proc/self/cmdline and
    // overflow the stack (exit 139) from ~14 KB on (core/faces/arcface/ort-env.ts).
    const dir = path.join(tempDir('facedrop-cli-long-'), 'a-folder-name-long-enough-for-the-test');
    fs.mkdirSync(dir);
    const files = Array.from({ length: 1100 }, (_, i) => {
      const file = path.join(dir, `photo-${String(i).padStart(4, '0')}.jpg`);
      fs.symlinkSync(demoSamples[i % demoSamples.length]!, file);
      return file;
    });
    expect(files.reduce((n, f) => n + f.length + 1, 0)).toBeGreaterThan(1100 * 65);
    const data = tempDir('facedrop-cli-data-');
    const r = await run(['share', '--json', ...files], { DATA_DIR: data, LOG_LEVEL: 'silent', FACE_THREADS: '1' });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(r.stdout) as { photos: Array<{ file: string; ok: boolean; faces?: number }>; failed: number };
    expect(report.photos.map((p) => p.file)).toEqual(files);
    expect(report.failed).toBe(0);
    // Every photo analysed: each demo sample shows at least one face.
    expect(report.photos.every((p) => p.ok && (p.faces ?? 0) > 0)).toBe(true);
  });
});

describe('facedrop serve', () => {
  for (const [how, cmd, args] of [
    ['npx facedrop serve', 'npx', ['facedrop', 'serve']],
    ['npm start', 'npm', ['start']],
  ] as const) {
    it(`${how} with no bot token starts the album server alone and logs its URL`, async () => {
      const dir = tempDir();
      const child = spawn(cmd, [...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', FACE_THREADS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      try {
        const deadline = Date.now() + 60_000;
        let url: string | undefined;
        while (!url && Date.now() < deadline) {
          url = /listening at (http:\/\/[\d.:]+)/.exec(out)?.[1];
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(url, out).toBeDefined();
        expect(out).toMatch(/album server only/);
        let health = 0;
        while (health !== 200 && Date.now() < deadline) {
          health = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
          if (health !== 200) await new Promise((r) => setTimeout(r, 250));
        }
        expect(health).toBe(200);
      } finally {
        process.kill(-child.pid!, 'SIGTERM');
        await new Promise((r) => child.once('close', r));
      }
    });
  }
});
