// Issue 8, end to end: a 100-member group from the crowd fixture, through core/share and a real album server.
import path from 'node:path';
import PQueue from 'p-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { hasFixtures, loadFixture, read, tempDir } from '../helpers.ts';

const MEMBERS = 100;
const STRANGERS = 300;

describe.skipIf(!hasFixtures('crowd'))('a 100-member group: strangers get nothing, members get their photos', () => {
  let engine: FaceEngine;
  let album: AlbumServer;
  let terminal: Terminal;
  const tokens = new Map<string, string>();
  const fx = hasFixtures('crowd') ? loadFixture('crowd') : undefined;

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    const dir = tempDir();
    const config = (sub: string) => loadConfig({ DATA_DIR: path.join(dir, sub), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', UPLOAD_RATE_LIMIT: '100000' }, { dotenv: false });
    album = await startAlbumServer(config('album'), { engine });
    terminal = await openTerminal(config('terminal'), { engine });
  });
  afterAll(async () => {
    await terminal?.close();
    await album?.close();
    await engine?.close();
  });

  it('registers 100 members with 1 selfie each, shares their photos and 300 strangers\' photos', { timeout: 600_000 }, async () => {
    // The first 100 members who can register: a member whose every selfie candidate shows no single clear
    // face (LFW portraits often hold a second face) would be asked for another photo, and is not in the group.
    const members: string[] = [];
    const failures: string[] = [];
    const queue = new PQueue({ concurrency: 4 });
    // Analyse the candidates on both worker threads first; the sequential walk below then hits the cache.
    const candidates = fx!.members.slice(0, MEMBERS + 10).flatMap((m) => fx!.selfies[m]!);
    await Promise.all(candidates.map((file) => queue.add(() => engine.selfie(read(file)).catch(() => undefined))));
    for (const m of fx!.members) {
      if (members.length === MEMBERS) break;
      for (const file of fx!.selfies[m]!) {
        const selfie = read(file);
        try {
          await terminal.contacts.add('crowd', { name: m, album: album.url, username: m, selfies: [selfie] });
        } catch (error) {
          failures.push(`${m}: ${(error as Error).message}`);
          continue;
        }
        tokens.set(m, (await createAccount(album.url, m, [selfie])).token);
        members.push(m);
        break;
      }
    }
    expect(members, failures.join('\n')).toHaveLength(MEMBERS);
    const registered = members.length;

    const own = Object.entries(fx!.photos).filter(([, who]) => who.length === 1 && members.includes(who[0]!));
    // Strangers at odd positions: the half that the calibration (core/match/calibration.json) never saw.
    const strangers = Object.entries(fx!.photos).filter(([, who]) => who.length === 0).filter((_, i) => i % 2 === 1).slice(0, STRANGERS);
    expect(strangers).toHaveLength(STRANGERS);

    const deliveredTo = new Map<string, string[]>();
    await Promise.all(
      [...own, ...strangers].map(([file]) =>
        queue.add(async () => {
          const report = await terminal.sharer.share(read(file), { group: 'crowd', filename: path.basename(file) });
          deliveredTo.set(file, report.deliveries.filter((d) => d.outcome.kind === 'delivered' || d.outcome.kind === 'duplicate').map((d) => d.name));
        }),
      ),
    );

    const strangerDeliveries = strangers.flatMap(([file]) => deliveredTo.get(file)!.map((m) => `${path.basename(file)} -> ${m}`));
    expect(strangerDeliveries).toEqual([]);
    const wrong = own.flatMap(([file, who]) => deliveredTo.get(file)!.filter((m) => m !== who[0]).map((m) => `${path.basename(file)} -> ${m}`));
    expect(wrong).toEqual([]);
    const hits = own.filter(([file, who]) => deliveredTo.get(file)!.includes(who[0]!)).length;
    const recall = hits / own.length;
    process.stdout.write(`crowd e2e: ${registered} members, recall ${recall.toFixed(3)} (${hits}/${own.length}), 0 of ${STRANGERS} stranger photos delivered\n`);
    // 0.89 at celebrity-only thresholds; 0.54 at thresholds that also hold for ordinary people (README).
    expect(recall).toBeGreaterThanOrEqual(0.45);

    // What the albums hold agrees with what the terminal reported.
    let stored = 0;
    for (const token of tokens.values()) stored += (await getAlbum(album.url, token)).photos.length;
    expect(stored).toBe(hits);
  });
});
