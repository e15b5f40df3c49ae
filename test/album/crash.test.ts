// Kill -9 the album server while 20 uploads are in flight, restart it on the same DATA_DIR: every photo that
// got a 2xx is there byte for byte, no file under its final name is incomplete, and retried uploads complete.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../../album/storage.ts';
import { bbt, fileTempDir, formOf, sha256 } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

interface Running {
  child: ChildProcess;
  url: string;
  output: string[];
}

/** Starts album/server-main.ts as a child process and resolves with its URL once /healthz answers 200. */
async function startServer(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'album/server-main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      STORE_URL: `sqlite://${path.join(dataDir, 'facedrop.sqlite')}`,
      HOST: '127.0.0.1',
      PORT: '0',
      PUBLIC_URL: 'http://album.test',
      LOG_LEVEL: 'info',
      FACE_THREADS: '2',
      UPLOAD_RATE_LIMIT: '1000',
      UPLOAD_HMAC_SECRET: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output.join('')}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output.join('')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const match = /album server listening at (http:\/\/[\d.:]+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    const res = await fetch(`${url}/healthz`).catch(() => undefined);
    if (res?.status === 200) return { child, url, output };
  }
  throw new Error('server never became healthy');
}

async function kill(running: Running | undefined): Promise<void> {
  if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = new Promise((r) => running.child.once('exit', r));
  running.child.kill('SIGKILL');
  await exited;
}

/** Files under albums/, split into temp files and files under their final names. */
function filesOnDisk(dataDir: string): { temp: string[]; final: string[] } {
  const root = path.join(dataDir, 'albums');
  const all = fs.existsSync(root) ? (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(root, f)).isFile()) : [];
  return {
    temp: all.filter((f) => path.basename(f).startsWith(TEMP_PREFIX)),
    final: all.filter((f) => !path.basename(f).startsWith(TEMP_PREFIX)).map((f) => path.join(root, f)),
  };
}

describe('album server killed mid-upload', () => {
  const tmp = fileTempDir('facedrop-album-crash-');
  let server: Running | undefined;
  const photos: Buffer[] = [];

  beforeAll(async () => {
    // 20 distinct photos with Sheldon in them: each group photo, as sent and re-encoded three ways.
    for (const name of ['bbt1', 'bbt2', 'bbt3', 'bbt4', 'bbt5']) {
      const original = fs.readFileSync(bbt(`group/${name}.jpg`));
      const width = (await sharp(original).metadata()).width!;
      photos.push(
        original,
        await sharp(original).jpeg({ quality: 93 }).toBuffer(),
        await sharp(original).jpeg({ quality: 88 }).toBuffer(),
        await sharp(original).resize({ width: Math.round(width * 0.9) }).jpeg({ quality: 92 }).toBuffer(),
      );
    }
    expect(new Set(photos.map(sha256)).size).toBe(20);
  });

  afterAll(async () => {
    await kill(server);
    tmp.remove();
  });

  it('keeps every photo that got a 2xx, leaves no incomplete file, and takes the retries after a restart', async () => {
    server = await startServer(tmp.dir);
    const created = await fetch(`${server.url}/api/accounts`, {
      method: 'POST',
      body: formOf({ username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')) }]),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };

    // 20 uploads at once; SIGKILL shortly after the third one is acknowledged.
    const acknowledged = new Set<number>();
    let killing: Promise<void> | undefined;
    const running = server;
    const outcomes = await Promise.allSettled(
      photos.map(async (bytes, i) => {
        const res = await fetch(`${running.url}/api/upload`, { method: 'POST', body: formOf({ username: 'sheldon', terminal: 'crash-test' }, [{ field: 'picture', bytes }]) });
        if (res.status === 200 || res.status === 201) {
          acknowledged.add(i);
          if (acknowledged.size >= 3) killing ??= new Promise((r) => setTimeout(r, 150)).then(() => kill(running));
        }
        return res.status;
      }),
    );
    await killing;
    await kill(running);
    const failed = outcomes.filter((o) => o.status === 'rejected').length;
    console.log(`crash test: ${acknowledged.size} uploads acknowledged before SIGKILL, ${failed} cut off`);
    expect(acknowledged.size).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0); // the kill really landed mid-flight

    // Straight after the kill: every file under its final name is complete (originals hash to their name).
    const afterKill = filesOnDisk(tmp.dir);
    for (const file of afterKill.final) {
      const name = path.basename(file);
      if (path.basename(path.dirname(file)) === 'thumbs') expect((await sharp(file).metadata()).format, file).toBe('jpeg');
      else expect(sha256(fs.readFileSync(file)), file).toBe(name.slice(0, name.indexOf('.')));
    }

    // Restart: temp files are swept, and every acknowledged photo is listed and readable, byte for byte.
    server = await startServer(tmp.dir);
    expect(filesOnDisk(tmp.dir).temp).toEqual([]);
    const list = (await (await fetch(`${server.url}/api/albums/${token}`)).json()) as { photos: Array<{ id: string; url: string; thumbnailUrl: string }> };
    const listed = new Map(list.photos.map((p) => [p.id, p]));
    for (const i of acknowledged) {
      const entry = listed.get(sha256(photos[i]!));
      expect(entry, `photo ${i} was acknowledged`).toBeDefined();
      const bytes = Buffer.from(await (await fetch(`${server.url}${entry!.url}`)).arrayBuffer());
      expect(bytes.equals(photos[i]!)).toBe(true);
      expect((await fetch(`${server.url}${entry!.thumbnailUrl}`)).status).toBe(200);
    }
    // Nothing listed points at a missing file.
    for (const p of list.photos) expect((await fetch(`${server.url}${p.url}`)).status).toBe(200);

    // The terminal's outbox retries what was cut off (and, as it does, a 429 after its Retry-After: 20 at
    // once is over the per-address cap): all 20 end up in the album exactly once.
    const upload = async (bytes: Buffer): Promise<number> => {
      const res = await fetch(`${server!.url}/api/upload`, { method: 'POST', body: formOf({ username: 'sheldon' }, [{ field: 'picture', bytes }]) });
      if (res.status !== 429) return res.status;
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000));
      return upload(bytes);
    };
    const retried = await Promise.all(photos.map(upload));
    expect(retried.every((s) => s === 200 || s === 201)).toBe(true);
    const final = (await (await fetch(`${server.url}/api/albums/${token}`)).json()) as { photos: unknown[] };
    expect(final.photos).toHaveLength(20);
    expect(filesOnDisk(tmp.dir).final.filter((f) => /[0-9a-f]{64}\.jpg$/.test(f) && !f.includes(`${path.sep}thumbs${path.sep}`))).toHaveLength(20);
  });
});
