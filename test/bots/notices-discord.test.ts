// Private notices through the fake Discord (REST, CDN, gateway on 127.0.0.1) and the real discord.js client:
// one DM per batch with a preview and the album link, /notify off, a member whose DMs are closed, "not me".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startDiscordBot, type DiscordBot } from '../../bots/discord/bot.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { startFakeDiscord, type FakeDiscord, type FakeFile } from '../fakes/discord-fake.ts';
import type { FakeMessage, FakeUser } from '../fakes/discord-payloads.ts';
import { loadPlumbingFixture, waitFor } from '../helpers.ts';

const NOTICE_DELAY_MS = 30_000;

describe('Discord private notices', () => {
  const bbt: Fixture = loadPlumbingFixture();
  let dir: string;
  let engine: FaceEngine;
  let album: AlbumServer;
  let fake: FakeDiscord;
  let terminal: Terminal;
  let members: Members;
  let bot: DiscordBot;
  const errors: string[] = [];
  const log = { info: () => {}, warn: () => {}, error: (o: object | string, m?: string) => errors.push(JSON.stringify([o, m])) };
  const people: Record<string, FakeUser> = {};
  const file = (p: string): FakeFile => ({ name: path.basename(p), bytes: fs.readFileSync(p), contentType: 'image/jpeg' });
  const photoPath = (name: string) => Object.keys(bbt.photos).find((p) => p.endsWith(`/${name}`))!;
  const albumShas = async (who: string) => {
    const link = await members.link(`dc:${people[who]!.id}`);
    const body = (await (await fetch(`${album.url}/api/albums/${link!.token!}`)).json()) as { photos: Array<{ sha256: string }> };
    return body.photos.map((p) => p.sha256);
  };
  const dms = (who: string): FakeMessage[] => {
    const channel = fake.rest.dmChannels.get(people[who]!.id);
    return channel ? fake.rest.messagesIn(channel) : [];
  };
  async function command(by: FakeUser, name: string, options: Record<string, string | boolean | FakeFile> = {}): Promise<string> {
    const interaction = fake.command('photos', by, name, options);
    const state = await waitFor(`/${name} answered`, () => {
      const s = fake.answer(interaction);
      // The consent question is not the answer: the member's "I agree" edits it into one.
      return s.edits.length > 0 && !/^Before I learn/.test(s.original?.content ?? '') && s;
    });
    return state.original?.content ?? '';
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-dc-notices-'));
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(loadConfig({ DATA_DIR: path.join(dir, 'album'), HOST: '127.0.0.1', PORT: '0', STORE_URL: `sqlite://${dir}/album.sqlite`, LOG_LEVEL: 'silent' }, { dotenv: false }), { engine });
    fake = await startFakeDiscord({ autoConsent: true });
    const config = loadConfig(
      {
        DATA_DIR: path.join(dir, 'terminal'),
        PORT: '0',
        PUBLIC_URL: album.url,
        STORE_URL: `sqlite://${dir}/terminal.sqlite`,
        FACE_THREADS: '2',
        LOG_LEVEL: 'silent',
        DISCORD_BOT_TOKEN: fake.token,
        DISCORD_API_ROOT: fake.apiRoot,
        NOTICE_DELAY_MS: String(NOTICE_DELAY_MS),
        // A bound of 1 stranger in a million: the group's threshold near 0.19, so heavily compressed copies of a
        // photo are near misses (below) while the photos themselves still match (their faces lie under 0.1).
        MATCH_FALSE_MATCH_RATE: '0.000001',
      },
      { dotenv: false },
    );
    terminal = await openTerminal(config, { engine });
    members = new Members(terminal, config.PUBLIC_URL);
    for (const m of ['leonard', 'sheldon', 'raj', 'howard']) people[m] = fake.addUser(m);
    bot = await startDiscordBot({ config, terminal, members, log });
    fake.rest.dmClosed.add(people.raj!.id);
  });

  afterAll(async () => {
    await bot?.stop();
    await terminal?.close();
    await album?.close();
    await fake?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('[1] three photos in a minute: one DM with a contact sheet and the album link; /notify off: none; DMs closed: not messaged, nothing fails', async () => {
    for (const m of ['leonard', 'sheldon', 'raj']) expect(await command(people[m]!, 'register', { selfie: file(bbt.selfies[m]![0]!) })).toMatch(/registered/);
    expect(await command(people.sheldon!, 'notify', { mode: 'off' })).toMatch(/no longer tell you/);

    for (const name of ['bbt1.jpg', 'bbt3.jpg', 'bbt5.jpg']) fake.postMessage('photos', people.howard!, [file(photoPath(name))]);
    await waitFor("leonard's three photos", async () => (await albumShas('leonard')).length === 3);
    const notice = await waitFor("leonard's DM", () => dms('leonard')[0], NOTICE_DELAY_MS + 60_000);
    expect(notice.content).toMatch(/3 new photos of you from #photos/);
    const link = await members.link(`dc:${people.leonard!.id}`);
    expect(notice.content).toContain(`${album.url}/a/${link!.token!}`);
    const upload = fake.rest.uploads.get(notice.id)!;
    expect(upload.files).toHaveLength(1);
    expect((await sharp(upload.files[0]!).metadata()).width!).toBeGreaterThan(400);
    const buttons = (upload.components as Array<{ components: Array<{ custom_id: string; label: string }> }>).flatMap((row) => row.components);
    expect(buttons.map((b) => b.label)).toEqual(['🙅 Not me: 1', '🙅 Not me: 2', '🙅 Not me: 3']);

    // raj's DM was refused (50007) once and given up quietly; sheldon chose off.
    await waitFor("raj's refused DM", () => fake.rest.requests.some((r) => r.status === 403 && r.path.endsWith(`/channels/${fake.rest.dmChannels.get(people.raj!.id)}/messages`)));
    await sleep(1500);
    expect(dms('leonard')).toHaveLength(1);
    expect(dms('sheldon')).toHaveLength(0);
    expect(await albumShas('raj')).toHaveLength(3);
    expect((await terminal.records.jobs.list('notices:dc')).filter((j) => j.state === 'failed')).toEqual([]);
    expect(errors).toEqual([]);

    // "Not me" on the DM's first button: the photo leaves leonard's album, and nobody else's.
    const notice2 = dms('leonard')[0]!;
    const state = fake.pressButton(people.leonard!, notice2, buttons[0]!.custom_id);
    await waitFor('the button answer', () => state.callbacks.length > 0);
    expect(state.callbacks[0]!.data?.content).toMatch(/Removed from your album/);
    expect(state.callbacks[0]!.data?.flags).toBe(64);
    expect(await albumShas('leonard')).toHaveLength(2);
    expect(await albumShas('sheldon')).toHaveLength(3);
  });

  it('[3] "is this you?" by DM with the face crop: yes delivers through the album check, no records a negative', async () => {
    expect(await command(people.sheldon!, 'notify', { mode: 'instant' })).toMatch(/as soon as/);
    const bbt2 = fs.readFileSync(photoPath('bbt2.jpg'));
    const blurry = async (quality: number): Promise<FakeFile> => ({ name: `bbt2-q${quality}.jpg`, bytes: await sharp(bbt2).jpeg({ quality }).toBuffer(), contentType: 'image/jpeg' });
    const before = (await albumShas('sheldon')).length;
    const press = async (dm: FakeMessage, label: string) => {
      const button = (fake.rest.uploads.get(dm.id)!.components as Array<{ components: Array<{ custom_id: string; label: string }> }>).flatMap((r) => r.components).find((b) => b.label === label)!;
      const state = fake.pressButton(people.sheldon!, dm, button.custom_id);
      await waitFor('the button answer', () => state.callbacks.length > 0);
      return state.callbacks[0]!.data?.content ?? '';
    };

    fake.postMessage('photos', people.howard!, [await blurry(5)]);
    const question = await waitFor("sheldon's question", () => dms('sheldon')[0]);
    expect(question.content).toMatch(/Is this you\? A photo posted in #photos/);
    expect((await sharp(fake.rest.uploads.get(question.id)!.files[0]!).metadata()).width!).toBeLessThanOrEqual(256);
    expect(await albumShas('sheldon')).toHaveLength(before);
    expect(await press(question, '✅ Yes, it is me')).toMatch(/in your album/);
    expect(await albumShas('sheldon')).toHaveLength(before + 1);

    fake.postMessage('photos', people.howard!, [await blurry(7)]);
    const second = await waitFor("sheldon's second question", () => dms('sheldon')[1]);
    expect(await press(second, '🙅 No')).toMatch(/noted/);
    expect(await albumShas('sheldon')).toHaveLength(before + 1);
    expect((await terminal.records.notices.negatives([`dc:${people.sheldon!.id}`])).get(`dc:${people.sheldon!.id}`)).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
