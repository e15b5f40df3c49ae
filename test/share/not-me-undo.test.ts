// Issue 26 ("not me" undo reaching terminals): a face the album refused with rejected_by_owner is not sent by
// this terminal for a day (ALBUM_NEGATIVE_TTL_MS); then it is sent again, so the album, the authority, decides:
// refused again while the rejection stands (learned afresh), delivered once its owner undid it.
// Medium tier: real face engine, SQLite, an album server in process over real HTTP.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { ALBUM_NEGATIVE_TTL_MS } from '../../core/records/notices.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { loadPlumbingFixture, read, tempDir } from '../helpers.ts';

const fx = loadPlumbingFixture();
const config = (dataDir: string) => loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', STORE_URL: `sqlite://${dataDir}/store.sqlite` }, { dotenv: false });

describe('an undone "not me" reaches the terminal within a day (issue 26)', () => {
  let engine: FaceEngine;
  let album: AlbumServer;
  let terminal: Terminal;
  const tokens: Record<string, string> = {};
  /** Uploads the album received, per account. */
  const uploads: string[] = [];

  beforeAll(async () => {
    const dir = tempDir();
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(config(path.join(dir, 'album')), { engine });
    terminal = await openTerminal(config(path.join(dir, 'terminal')), { engine });
    for (const m of ['leonard', 'sheldon']) {
      const selfie = read(fx.selfies[m]![0]!);
      tokens[m] = (await createAccount(album.url, m, [selfie])).token;
      await terminal.contacts.add('lab', { name: m, album: album.url, username: m, selfies: [selfie] });
    }
    album.app.server.on('request', (request: { method?: string; url?: string }) => {
      if (request.method === 'POST' && request.url === '/api/upload') uploads.push('upload');
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await terminal?.close();
    await album?.close();
    await engine?.close();
  });

  const photo = read(Object.keys(fx.photos).find((p) => path.basename(p) === 'bbt2.jpg')!); // leonard, sheldon
  let copies = 0;
  /** The same scene as another picture each time (the terminal never resends a photo it delivered). */
  const shareCopy = async () => {
    const copy = await sharp(photo).jpeg({ quality: 95 - copies++ }).toBuffer();
    const sent = uploads.length;
    const report = await terminal.sharer.share(copy, { group: 'lab', filename: `copy-${copies}.jpg` });
    const sheldon = report.deliveries.find((d) => d.name === 'sheldon')?.outcome;
    return { sheldon: sheldon ? (sheldon.kind === 'refused' ? sheldon.code : sheldon.kind) : 'not sent', requests: uploads.length - sent };
  };
  const api = (member: string) => `${album.url}/api/albums/${tokens[member]!}`;

  it('sends the rejected face again after a day: refused while the rejection stands, delivered after the undo', async () => {
    expect(await shareCopy()).toEqual({ sheldon: 'delivered', requests: 2 });
    const [first] = (await getAlbum(album.url, tokens.sheldon!)).photos;
    expect((await fetch(`${api('sheldon')}/photos/${first!.id}/not-me`, { method: 'POST' })).status).toBe(200);

    // The album refuses the face and the terminal learns it: the next copy goes to leonard alone.
    expect(await shareCopy()).toEqual({ sheldon: 'rejected_by_owner', requests: 2 });
    expect(await shareCopy()).toEqual({ sheldon: 'not sent', requests: 1 });

    // A day later the terminal asks again by sending; the rejection stands, so it is learned afresh.
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(start + ALBUM_NEGATIVE_TTL_MS + 60_000);
    expect(await shareCopy()).toEqual({ sheldon: 'rejected_by_owner', requests: 2 });
    expect(await shareCopy()).toEqual({ sheldon: 'not sent', requests: 1 });

    // The owner undoes it on the album page; the terminal still holds its day-old answer until it expires.
    const { rejections } = (await (await fetch(`${api('sheldon')}/rejections`)).json()) as { rejections: Array<{ id: string }> };
    expect(rejections).toHaveLength(1);
    expect((await fetch(`${api('sheldon')}/rejections/${rejections[0]!.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await shareCopy()).toEqual({ sheldon: 'not sent', requests: 1 });
    vi.setSystemTime(start + 2 * ALBUM_NEGATIVE_TTL_MS + 120_000);
    expect(await shareCopy()).toEqual({ sheldon: 'delivered', requests: 2 });
    expect(await shareCopy()).toEqual({ sheldon: 'delivered', requests: 2 });
    expect((await getAlbum(album.url, tokens.sheldon!)).photos).toHaveLength(2);
  });

  it('keeps a "not me" given at the terminal itself, however old', async () => {
    const member = (await terminal.contacts.gallery('lab')).contacts.find((c) => c.name === 'leonard')!;
    const report = await terminal.sharer.share(await sharp(photo).jpeg({ quality: 70 }).toBuffer(), { group: 'lab', filename: 'notice.jpg' });
    const sighting = await terminal.records.notices.findSighting('lab', member.id, report.sha256);
    expect(sighting).toBeDefined();
    expect(await terminal.records.notices.answer(sighting!.seq, 'not_me', 'notice', Date.now())).toBe(true);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 30 * ALBUM_NEGATIVE_TTL_MS);
    const later = await terminal.sharer.share(await sharp(photo).jpeg({ quality: 60 }).toBuffer(), { group: 'lab', filename: 'later.jpg' });
    expect(later.deliveries.map((d) => d.name)).not.toContain('leonard');
    expect(later.matches.some((m) => m.kind === 'stranger' && m.reason === 'not_me')).toBe(true);
  });
});
