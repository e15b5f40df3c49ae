// Must show 4: a Discord photo in flight when `facedrop serve` is killed (SIGKILL, no clean-up) is shared
// after the restart: it reaches the member's album once and the message gets one reply.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openRecords } from '../../core/records/index.ts';
import { getAlbum } from '../../core/share/index.ts';
import { startFakeDiscord } from '../fakes/discord-fake.ts';
import { demoGroupPhoto, demoSelfie } from '../demo-faces.ts';
import { tempDir } from '../helpers.ts';
import { freePort, startServe, waitUntil } from '../processes.ts';

describe('Discord photos survive a crash of facedrop serve', () => {
  it('a photo whose job was running when the process was killed is shared once after the restart, with one reply', { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const fake = await startFakeDiscord({ channels: ['photos'] });
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const env = {
      DATA_DIR: dir,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      DISCORD_BOT_TOKEN: fake.token,
      DISCORD_API_ROOT: fake.apiRoot,
      DISCORD_GUILD_ID: fake.guildId,
    };
    let serve = await startServe(env);
    try {
      await waitUntil('the Discord bot to be ready', () => serve.output().includes('Discord bot ready'));
      const ann = fake.addUser('ann', 'Ann');
      const register = fake.command('photos', ann, 'register', { selfie: { name: 'ann.jpg', bytes: await demoSelfie(0), contentType: 'image/jpeg' } });
      await waitUntil('the consent question', () => fake.answer(register).edits.length > 0);
      const consent = (fake.answer(register).edits[0] as { components?: Array<{ components: Array<{ custom_id: string }> }> }).components![0]!.components[0]!.custom_id;
      fake.press(ann, fake.answer(register), consent);
      await waitUntil('/register answered', () => /\/a\//.test(fake.answer(register).original?.content ?? ''));
      const link = fake.answer(register).original?.content.match(/\/a\/([\w-]+)/)?.[1];
      expect(link, fake.answer(register).original?.content).toBeDefined();

      // The CDN makes the bot wait a minute before the download: the job is mid-way when the process dies.
      fake.rest.failNext('GET', /^\/attachments\/\d+\/\d+\/party\.jpg$/, { status: 429, retryAfter: 60, times: 1 });
      const photo = await demoGroupPhoto(0, 900);
      const message = fake.postMessage('photos', fake.addUser('kripke', 'Barry Kripke'), [{ name: 'party.jpg', bytes: photo, contentType: 'image/jpeg' }]);
      const attachment = `/${message.attachments[0]!.id}/`;
      await waitUntil('the download to be tried', () => fake.rest.requests.some((r) => r.path.startsWith('/attachments/') && r.path.includes(attachment)));
      await serve.stop('SIGKILL');
      expect((await getAlbumOrNothing(publicUrl, link!)).length).toBe(0);
      const stored = await openRecords(`sqlite://${path.join(dir, 'facedrop.sqlite')}`);
      try {
        // The dead process's job is still there, leased to it.
        expect((await stored.jobs.list<{ messageId: string }>('discord')).map((j) => j.payload.messageId)).toEqual([message.id]);
      } finally {
        await stored.close();
      }

      serve = await startServe(env);
      await waitUntil('the photo in the album', async () => (await getAlbum(publicUrl, link!)).photos.length > 0, 300_000);
      const records = await openRecords(`sqlite://${path.join(dir, 'facedrop.sqlite')}`);
      try {
        await waitUntil('the job to finish', async () => (await records.jobs.countReady('discord')) === 0);
      } finally {
        await records.close();
      }
      await sleep(200); // a reply sent just before the job ended is on its way through the fake's HTTP server
      expect((await getAlbum(publicUrl, link!)).photos).toHaveLength(1);
      const replies = fake.rest.messagesIn(fake.channels.photos!.id).filter((m) => m.message_reference?.message_id === message.id);
      expect(replies).toHaveLength(1);
      expect(replies[0]!.content).toContain('Ann');
    } finally {
      await serve.stop();
      await fake.close();
    }
  });
});

describe('one Discord gateway connection across replicas', () => {
  it('two serve replicas on one data folder: one connects; when it dies, the other does', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    const fake = await startFakeDiscord({ channels: ['photos'] });
    const env = async () => ({ DATA_DIR: dir, HOST: '127.0.0.1', PORT: String(await freePort()), DISCORD_BOT_TOKEN: fake.token, DISCORD_API_ROOT: fake.apiRoot });
    const replicas = [await startServe(await env()), await startServe(await env())];
    const connected = () => replicas.filter((r) => r.output().includes('Discord bot ready'));
    try {
      await waitUntil('one replica connected', () => connected().length === 1);
      expect(fake.gateway.identifies.filter((i) => i.accepted)).toHaveLength(1);
      const [first] = connected();
      await first!.stop('SIGKILL');
      const other = replicas.find((r) => r !== first)!;
      await waitUntil('the other replica connected', () => other.output().includes('Discord bot ready'));
      expect(fake.gateway.identifies.filter((i) => i.accepted)).toHaveLength(2);
    } finally {
      for (const r of replicas) await r.stop();
      await fake.close();
    }
  });
});

/** The album's photos, or none while the server is down. */
async function getAlbumOrNothing(url: string, token: string): Promise<unknown[]> {
  try {
    return (await getAlbum(url, token)).photos;
  } catch {
    return [];
  }
}
