// Issue 16, end to end: ordinary people, not celebrities. 20 London volunteers register through the CLI with
// one selfie each, then their other photos and both photos of 20 other volunteers are shared to a real album
// server: no stranger's photo may reach anyone, and no member may be refused as another member's face.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { hasLondon, londonFile } from '../../bench/london.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { read, tempDir } from '../helpers.ts';
import { runCli } from '../processes.ts';

/** The volunteers' ids in people.csv order. */
function londonIds(): string[] {
  return fs.readFileSync(path.join(path.dirname(londonFile('x', 'neutral')), '..', 'people.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
}

describe.skipIf(!hasLondon())('20 ordinary volunteers as a group, 20 others as strangers', () => {
  let engine: FaceEngine;
  let album: AlbumServer;
  let albumDir: string;

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    albumDir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-london-'));
    album = await startAlbumServer(loadConfig({ DATA_DIR: albumDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', UPLOAD_RATE_LIMIT: '100000' }, { dotenv: false }), { engine });
  });
  afterAll(async () => {
    await album?.close();
    await engine?.close();
    fs.rmSync(albumDir, { recursive: true, force: true });
  });

  it('registers all 20 through the CLI and delivers no stranger photo', { timeout: 600_000 }, async () => {
    // The hard case on purpose: the set's closest look-alikes (different people 0.48-0.63 apart, all under or
    // near wave 1's celebrity thresholds) are split between the group and the strangers, and two of them
    // (062 and 099, 0.50 apart) are both members. The rest are filled in in people.csv's order.
    const lookAlikeMembers = ['062', '099', '120', '115', '091', '128', '125', '063', '130'];
    const lookAlikeStrangers = ['126', '136', '142', '097', '143', '141', '123', '138'];
    const ordered = londonIds().filter((id) => !lookAlikeMembers.includes(id) && !lookAlikeStrangers.includes(id));
    const members = [...lookAlikeMembers, ...ordered.slice(0, 20 - lookAlikeMembers.length)];
    const strangers = [...lookAlikeStrangers, ...ordered.slice(20 - lookAlikeMembers.length, 40 - lookAlikeMembers.length - lookAlikeStrangers.length)];
    expect(new Set([...members, ...strangers]).size).toBe(40);
    const env = { DATA_DIR: tempDir(), LOG_LEVEL: 'silent', FACE_THREADS: '2' };

    // The XML contact file, with each member's neutral photo beside it as the selfie.
    const dir = tempDir();
    const entries = [];
    const tokens = new Map<string, string>();
    for (const id of members) {
      fs.copyFileSync(londonFile(id, 'neutral'), path.join(dir, `${id}.jpg`));
      tokens.set(`v${id}`, (await createAccount(album.url, `v${id}`, [read(londonFile(id, 'neutral'))])).token);
      entries.push(`  <contact><name>v${id}</name><albumserveraddress>${album.url}</albumserveraddress><username>v${id}</username><photo>${id}.jpg</photo></contact>`);
    }
    fs.writeFileSync(path.join(dir, 'contacts.xml'), `<?xml version="1.0"?>\n<contacts>\n${entries.join('\n')}\n</contacts>\n`);
    const imported = await runCli(['contacts', 'import', path.join(dir, 'contacts.xml'), '--group', 'volunteers'], env);
    expect(imported.stderr, 'no member refused as another member\'s face').toBe('');
    expect(imported.stdout).toContain('Imported 20 of 20');

    const strangerPhotos = strangers.flatMap((id) => [londonFile(id, 'neutral'), londonFile(id, 'smiling')]);
    const memberPhotos = members.map((id) => londonFile(id, 'smiling'));
    const shared = await runCli(['share', '--group', 'volunteers', '--json', ...strangerPhotos, ...memberPhotos], env);
    const report = JSON.parse(shared.stdout) as { photos: Array<{ file: string; ok: boolean; matched?: string[]; unsure?: Array<{ name: string }> }> };
    const byFile = new Map(report.photos.map((p) => [p.file, p]));
    const strangerDeliveries = strangerPhotos.flatMap((f) => (byFile.get(f)!.matched ?? []).map((m) => `${path.basename(path.dirname(f))}/${path.basename(f)} -> ${m}`));
    expect(strangerDeliveries).toEqual([]);
    let found = 0;
    let asked = 0;
    for (const [i, f] of memberPhotos.entries()) {
      const matched = byFile.get(f)!.matched ?? [];
      expect(matched.filter((m) => m !== `v${members[i]}`), f).toEqual([]);
      if (matched.includes(`v${members[i]}`)) found++;
      else if ((byFile.get(f)!.unsure ?? []).some((u) => u.name === `v${members[i]}`)) asked++;
      // The album holds exactly what was matched: the member's own photo or nothing, never a stranger's.
      const photos = (await getAlbum(album.url, tokens.get(`v${members[i]}`)!)).photos;
      expect(photos.length, f).toBe(matched.length);
    }
    process.stdout.write(`london e2e: 20 members, ${found}/20 of their photos delivered, ${asked} asked about, 0 of ${strangerPhotos.length} stranger photos\n`);
    // Same sitting, same light: a member's other photo is easy (0.02-0.2 away), so each arrives at once, or is
    // asked about where the age net reads the volunteer as under 19 (a 20-member group confirms teenagers'
    // photos: README, "Children").
    expect(found + asked).toBeGreaterThanOrEqual(18);
    expect(found).toBeGreaterThanOrEqual(15);
  });
});
