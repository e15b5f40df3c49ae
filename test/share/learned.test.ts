// Issue 21: learned references and the event window, over a real album server (bbt's real photos, London's
// look-alikes). A confident match becomes a reference; a look-alike stranger is never learned; "not me" takes
// a learned reference back and what it caused stops there; removing a member leaves no face of theirs in any
// table; a late delivery arrives once, never after "not me" or a refusal.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { hasLondon, londonFile } from '../../bench/london.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { cosineDistance, normalize } from '../../core/match/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { hasFixtures, loadFixture, read, tempDir } from '../helpers.ts';

const sha = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

/** Every 512-number array in any table and column of the database file (JSON, nested JSON included). */
function storedDescriptors(file: string): number[][] {
  const db = new Database(file, { readonly: true });
  const found: number[][] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (v.length === 512 && v.every((x) => typeof x === 'number')) found.push(v as number[]);
      else v.forEach(visit);
    } else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  try {
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
        for (const value of Object.values(row)) {
          const text = typeof value === 'string' ? value : Buffer.isBuffer(value) && value.length < 200_000 ? value.toString('utf8') : undefined;
          if (!text || !/^[[{]/.test(text)) continue;
          try {
            visit(JSON.parse(text));
          } catch {
            // not JSON: a picture's bytes, a name
          }
        }
      }
    }
  } finally {
    db.close();
  }
  return found;
}

describe.skipIf(!hasFixtures('bbt'))('learned references and the event window (bbt)', () => {
  const fx = hasFixtures('bbt') ? loadFixture('bbt') : undefined;
  const photo = (name: string) => read(Object.keys(fx!.photos).find((p) => p.endsWith(`/${name}`))!);
  let engine: FaceEngine;
  let album: AlbumServer;
  let dir: string;
  let terminal: Terminal;
  let tokens: Record<string, string>;
  const cfg = (d: string) => loadConfig({ DATA_DIR: d, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', UPLOAD_RATE_LIMIT: '100000', STORE_URL: `sqlite://${d}/facedrop.sqlite` }, { dotenv: false });
  const albumShas = async (m: string) => (await getAlbum(album.url, tokens[m]!)).photos.map((p) => p.sha256);

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-learned-'));
    album = await startAlbumServer(cfg(path.join(dir, 'album')), { engine });
    terminal = await openTerminal(cfg(path.join(dir, 'terminal')), { engine });
    tokens = {};
    for (const m of fx!.members) {
      const selfie = read(fx!.selfies[m]![0]!);
      tokens[m] = (await createAccount(album.url, m, [selfie])).token;
      await terminal.contacts.add('bbt', { name: m, album: album.url, username: m, selfies: [selfie] });
    }
  });
  afterAll(async () => {
    await terminal?.close();
    await album?.close();
    await engine?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a late delivery: bbt1 misses howard; bbt5 teaches his face; bbt1 then reaches him, once', async () => {
    const first = await terminal.sharer.share(photo('bbt1.jpg'), { group: 'bbt', filename: 'bbt1.jpg' });
    expect(first.deliveries.map((d) => d.name)).not.toContain('howard');
    const fifth = await terminal.sharer.share(photo('bbt5.jpg'), { group: 'bbt', filename: 'bbt5.jpg' });
    expect(fifth.deliveries.map((d) => d.name)).toContain('howard');
    const howard = (await terminal.contacts.get('bbt', 'howard'))!;
    expect(howard.sources).toContain('confident');
    expect(howard.learnedFrom).toContain(sha(photo('bbt5.jpg')));
    expect(fifth.late.map((d) => [d.filename, d.name])).toContainEqual(['bbt1.jpg', 'howard']);
    // Shared again: nothing is sent twice.
    const again = await terminal.sharer.share(photo('bbt5.jpg'), { group: 'bbt', filename: 'bbt5.jpg' });
    expect(again.late).toEqual([]);
    expect((await albumShas('howard')).filter((s) => s === sha(photo('bbt1.jpg')))).toHaveLength(1);
    // Nobody got a photo they are not in.
    for (const m of fx!.members) {
      for (const s of await albumShas(m)) {
        const file = Object.keys(fx!.photos).find((p) => sha(read(p)) === s)!;
        expect(fx!.photos[file], `${m} got ${file}`).toContain(m);
      }
    }
  });

  it('"not me" takes back the face learned from that photo and what it caused; the photo is never sent again', async () => {
    const fifth = sha(photo('bbt5.jpg'));
    const sighting = (await terminal.records.notices.findSighting('bbt', 'howard', fifth))!;
    expect(await terminal.notices.notMe(sighting.seq, 'howard')).not.toBe('not_yours');
    const howard = (await terminal.contacts.get('bbt', 'howard'))!;
    expect(howard.learnedFrom ?? []).not.toContain(fifth);
    // bbt1's howard was reached through bbt5's face: another copy of bbt1 no longer reaches him.
    const copy = new Uint8Array(await sharp(photo('bbt1.jpg')).resize({ width: 900 }).jpeg({ quality: 92 }).toBuffer());
    const report = await terminal.sharer.share(copy, { group: 'bbt', filename: 'bbt1-copy.jpg' });
    expect(report.deliveries.map((d) => d.name)).not.toContain('howard');
    // bbt3 teaches howard's face again (a confident match), yet bbt5, answered "not me", is not sent again.
    const third = await terminal.sharer.share(photo('bbt3.jpg'), { group: 'bbt', filename: 'bbt3.jpg' });
    expect(third.late.filter((d) => d.name === 'howard').map((d) => d.filename)).not.toContain('bbt5.jpg');
  });

  it('a refused late delivery is not tried again: the album has deleted the account', async () => {
    // sheldon's album goes away; a later photo that teaches his face makes no second try at earlier ones.
    await fetch(`${album.url}/api/albums/${tokens.sheldon}`, { method: 'DELETE' });
    const report = await terminal.sharer.share(photo('bbt4.jpg'), { group: 'bbt', filename: 'bbt4.jpg' });
    const refused = [...report.deliveries.map((d) => ({ ...d, filename: 'bbt4.jpg' })), ...report.late].filter((d) => d.name === 'sheldon');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((d) => d.outcome.kind === 'refused')).toBe(true);
    const twice = await terminal.sharer.share(photo('bbt2.jpg'), { group: 'bbt', filename: 'bbt2.jpg' });
    const lateAgain = twice.late.filter((d) => d.name === 'sheldon').map((d) => d.filename);
    for (const d of refused) expect(lateAgain).not.toContain(d.filename);
  });

  it('removing a member leaves no face of theirs anywhere: selfies, learned references, sightings', async () => {
    const raj = (await terminal.contacts.get('bbt', 'raj'))!;
    const faces = raj.descriptors.map(normalize);
    expect(faces.length).toBeGreaterThan(0);
    const close = () => storedDescriptors(path.join(dir, 'terminal', 'facedrop.sqlite')).filter((d) => faces.some((f) => cosineDistance(f, normalize(d)) < 0.5));
    expect(close().length).toBeGreaterThan(0);
    await terminal.contacts.remove('bbt', 'raj');
    expect(close()).toEqual([]);
  });
});

describe.skipIf(!hasLondon())('a look-alike stranger is never learned (London)', () => {
  it('099\'s look-alike 062 (0.50 apart) matches nobody and teaches nothing; a member\'s own photo is learned', async () => {
    const engine = createFaceEngine({ threads: 1 });
    const d = tempDir();
    const terminal = await openTerminal(loadConfig({ DATA_DIR: d, LOG_LEVEL: 'silent', STORE_URL: `sqlite://${d}/f.sqlite` }, { dotenv: false }), { engine });
    try {
      await terminal.contacts.add('v', { name: 'v099', album: 'http://127.0.0.1:9', username: 'v099', selfies: [read(londonFile('099', 'neutral'))] });
      await terminal.contacts.add('v', { name: 'v143', album: 'http://127.0.0.1:9', username: 'v143', selfies: [read(londonFile('143', 'neutral'))] });
      for (const e of ['neutral', 'smiling'] as const) {
        const r = await terminal.sharer.share(read(londonFile('062', e)), { group: 'v' });
        expect(r.matches.filter((m) => m.kind === 'match')).toEqual([]);
      }
      expect((await terminal.contacts.get('v', 'v099'))!.descriptors).toHaveLength(1);
      // 143's smiling photo (0.13 from the selfie, same sitting) is a confident match and adds a reference.
      const own = await terminal.sharer.share(read(londonFile('143', 'smiling')), { group: 'v' });
      expect(own.matches.filter((m) => m.kind === 'match').map((m) => m.kind === 'match' && m.memberId)).toEqual(['v143']);
      expect((await terminal.contacts.get('v', 'v143'))!.sources).toEqual(['selfie', 'confident']);
      expect((await terminal.contacts.get('v', 'v099'))!.sources).toBeUndefined();
    } finally {
      await terminal.close();
      await engine.close();
    }
  });
});
