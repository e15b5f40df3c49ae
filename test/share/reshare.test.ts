// Issue 26 (re-sharing): a photo this terminal already delivered to a member's album is not sent again: the
// report says duplicate and the album gets no request. What the album refused is still sent again.
// Medium tier: real face engine, SQLite, an album server in process over real HTTP.
import { createHash } from 'node:crypto';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { loadPlumbingFixture, read, tempDir } from '../helpers.ts';

const fx = loadPlumbingFixture();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const config = (dataDir: string) => loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', STORE_URL: `sqlite://${dataDir}/store.sqlite` }, { dotenv: false });

describe('re-sharing a delivered photo sends nothing (issue 26)', () => {
  let engine: FaceEngine;
  let album: AlbumServer;
  let terminal: Terminal;
  let token: string;
  let uploads = 0;

  beforeAll(async () => {
    const dir = tempDir();
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(config(path.join(dir, 'album')), { engine });
    album.app.server.on('request', (request: { method?: string; url?: string }) => {
      if (request.method === 'POST' && request.url === '/api/upload') uploads++;
    });
    terminal = await openTerminal(config(path.join(dir, 'terminal')), { engine });
    // leonard has an album account; sheldon's contact names one the album does not have (every packet: 404).
    token = (await createAccount(album.url, 'leonard', [read(fx.selfies.leonard![0]!)])).token;
    await terminal.contacts.add('lab', { name: 'leonard', album: album.url, username: 'leonard', selfies: [read(fx.selfies.leonard![0]!)] });
    await terminal.contacts.add('lab', { name: 'sheldon', album: album.url, username: 'sheldon-nowhere', selfies: [read(fx.selfies.sheldon![0]!)] });
  });
  afterAll(async () => {
    await terminal?.close();
    await album?.close();
    await engine?.close();
  });

  const outcomes = (report: Awaited<ReturnType<Terminal['sharer']['share']>>) => Object.fromEntries(report.deliveries.map((d) => [d.name, d.outcome.kind === 'refused' ? `refused ${d.outcome.code}` : d.outcome.kind]));

  it('reports a photo already delivered as a duplicate with no request, and still resends what was refused', async () => {
    const photo = read(Object.keys(fx.photos).find((p) => path.basename(p) === 'bbt2.jpg')!); // leonard, sheldon
    const first = await terminal.sharer.share(photo, { group: 'lab', filename: 'bbt2.jpg' });
    expect(outcomes(first)).toEqual({ leonard: 'delivered', sheldon: 'refused unknown_account' });
    expect(uploads).toBe(2);

    const again = await terminal.sharer.share(photo, { group: 'lab', filename: 'bbt2.jpg' });
    expect(outcomes(again)).toEqual({ leonard: 'duplicate', sheldon: 'refused unknown_account' });
    expect(again.deliveries.find((d) => d.name === 'leonard')?.outcome).toEqual({ kind: 'duplicate', id: sha256(photo) });
    // Only sheldon's refused packet went out again.
    expect(uploads).toBe(3);

    // Another encoding of the same scene is another picture: sent.
    const copy = await sharp(photo).jpeg({ quality: 90 }).toBuffer();
    const third = await terminal.sharer.share(copy, { group: 'lab', filename: 'bbt2-copy.jpg' });
    expect(outcomes(third)).toEqual({ leonard: 'delivered', sheldon: 'refused unknown_account' });
    expect(uploads).toBe(5);
    expect((await getAlbum(album.url, token)).photos.map((p) => p.sha256).sort()).toEqual([sha256(photo), sha256(copy)].sort());
  });
});
