// Issue 4: the sender's side end to end, over real HTTP against the real album server.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { openRecords } from '../../core/records/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { loadPlumbingFixture, read, tempDir } from '../helpers.ts';
import { freePort } from '../processes.ts';

let engine: FaceEngine;
beforeAll(() => {
  engine = createFaceEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

const fx = loadPlumbingFixture();

function config(dataDir: string, port = 0) {
  return loadConfig({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', STORE_URL: `sqlite://${dataDir}/store.sqlite` }, { dotenv: false });
}

/** Album accounts for the bbt members (1 selfie each), and the same members in a terminal's contact book. */
async function registerBbt(album: AlbumServer, terminal: Terminal, albumUrl = album.url): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const m of fx.members) {
    const selfie = read(fx.selfies[m]![0]!);
    tokens[m] = (await createAccount(album.url, m, [selfie])).token;
    await terminal.contacts.add('bbt', { name: m, album: albumUrl, username: m, selfies: [selfie] });
  }
  return tokens;
}

async function albumContents(albumUrl: string, tokens: Record<string, string>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [m, token] of Object.entries(tokens)) out[m] = (await getAlbum(albumUrl, token)).photos.map((p) => p.sha256).sort();
  return out;
}

const sha = (file: string) => import('node:crypto').then((c) => c.createHash('sha256').update(read(file)).digest('hex'));

describe('terminal -> album over real HTTP (bbt fixtures)', () => {
  it('delivers every group photo only to members in it: precision 1.00, recall >= 0.6', async () => {
    const dir = tempDir();
    const album = await startAlbumServer(config(path.join(dir, 'album')), { engine });
    const terminal = await openTerminal(config(path.join(dir, 'terminal')), { engine });
    try {
      const tokens = await registerBbt(album, terminal);
      for (const photo of Object.keys(fx.photos)) {
        const report = await terminal.sharer.share(read(photo), { group: 'bbt', filename: path.basename(photo) });
        for (const d of report.deliveries) expect(d.outcome.kind, `${d.name} ${photo}`).toBe('delivered');
      }
      const got = await albumContents(album.url, tokens);
      let tp = 0;
      let fp = 0;
      let expected = 0;
      for (const m of fx.members) {
        const truth = await Promise.all(Object.entries(fx.photos).filter(([, who]) => who.includes(m)).map(([p]) => sha(p)));
        expected += truth.length;
        for (const s of got[m]!) (truth.includes(s) ? tp++ : fp++);
      }
      expect(fp).toBe(0);
      // bbt's tight grayscale selfie crops lie 0.19-0.59 from their owners' faces (README, "Safe for everyone").
      expect(tp / expected).toBeGreaterThanOrEqual(0.6);
      expect(got.stuart).toEqual([]);
      // Sharing the same photos again changes nothing: each packet is the same packet.
      const again = await terminal.sharer.share(read(Object.keys(fx.photos)[0]!), { group: 'bbt' });
      expect(again.deliveries.every((d) => d.outcome.kind === 'duplicate' || d.outcome.kind === 'delivered')).toBe(true);
      expect(await albumContents(album.url, tokens)).toEqual(got);
    } finally {
      await terminal.close();
      await album.close();
    }
  });

  it('keeps packets queued while the album server is down and delivers each once when it is back', async () => {
    const dir = tempDir();
    const port = await freePort();
    const albumConfig = config(path.join(dir, 'album'), port);
    let album = await startAlbumServer(albumConfig, { engine });
    const terminalConfig = config(path.join(dir, 'terminal'));
    let terminal = await openTerminal(terminalConfig, { engine });
    const tokens = await registerBbt(album, terminal);
    await album.close();

    const photos = Object.keys(fx.photos);
    const expectedPackets = Object.values(fx.photos).reduce((n, who) => n + who.length, 0);
    let queued = 0;
    for (const photo of photos) {
      const report = await terminal.sharer.share(read(photo), { group: 'bbt', filename: path.basename(photo) });
      for (const d of report.deliveries) {
        expect(d.outcome.kind).toBe('queued');
        queued++;
      }
    }
    expect(queued).toBeGreaterThanOrEqual(Math.ceil(expectedPackets * 0.6));
    expect((await terminal.outbox.pending()).length).toBe(queued);
    // The terminal restarts too: the queue is on disk, not in memory.
    await terminal.close();
    terminal = await openTerminal(terminalConfig, { engine });
    expect((await terminal.outbox.pending()).length).toBe(queued);

    album = await startAlbumServer(albumConfig, { engine });
    try {
      // Backoff has made the packets due later; the retry loop catches them up.
      const deadline = Date.now() + 60_000;
      terminal.outbox.start(200);
      while ((await terminal.outbox.pending()).some(() => true) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        // Bring every packet due now, instead of waiting out the backoff in a test.
        for (const p of await terminal.outbox.pending()) await terminal.outbox.attempt(p.id);
      }
      expect(await terminal.outbox.pending()).toEqual([]);
      const got = await albumContents(album.url, tokens);
      const delivered = Object.values(got).reduce((n, s) => n + s.length, 0);
      expect(delivered).toBe(queued);
      for (const shas of Object.values(got)) expect(new Set(shas).size).toBe(shas.length);
      expect(await terminal.records.packets.pictureCount()).toBe(0);
    } finally {
      await terminal.close();
      await album.close();
    }
  });

  it('records a final refusal (404 unknown account) and does not retry it', async () => {
    const dir = tempDir();
    const album = await startAlbumServer(config(path.join(dir, 'album')), { engine });
    const records = await openRecords('memory://');
    const terminal = await openTerminal(config(path.join(dir, 'terminal')), { engine, records });
    try {
      await terminal.contacts.add('g', { name: 'penny', album: album.url, username: 'nobody-here', selfies: [read(fx.selfies.penny![0]!)] });
      const report = await terminal.sharer.share(read(path.join(path.dirname(fx.selfies.penny![0]!), '..', 'group', 'bbt5.jpg')), { group: 'g' });
      expect(report.deliveries).toHaveLength(1);
      expect(report.deliveries[0]!.outcome).toMatchObject({ kind: 'refused', status: 404, code: 'unknown_account' });
      expect(await terminal.outbox.pending()).toEqual([]);
    } finally {
      await terminal.close();
      await album.close();
    }
  });
});
