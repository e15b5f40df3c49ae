// Issue 23, finding 10: IPv6 forms that carry an IPv4 address (IPv4-compatible ::a.b.c.d, which URLs write as
// [::7f00:1]; mapped, translated, NAT64, 6to4) are refused for album addresses typed in a chat, at
// registration and at delivery. Only loopback is connected to, and nothing may arrive there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import type { FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openRecords } from '../../core/records/index.ts';
import { AlbumAddressError } from '../../core/share/album-address.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { connectionCounter, tempDir } from '../helpers.ts';

const noEngine = new Proxy({}, { get: () => () => Promise.reject(new Error('the engine must not be used')) }) as FaceEngine;

let counter: Awaited<ReturnType<typeof connectionCounter>>;
beforeAll(async () => {
  counter = await connectionCounter();
});
afterAll(() => counter.close());

async function terminal(): Promise<Terminal> {
  const config = loadConfig({ DATA_DIR: tempDir(), LOG_LEVEL: 'silent', PUBLIC_URL: 'http://127.0.0.9:1' }, { dotenv: false });
  return openTerminal(config, { engine: noEngine, records: await openRecords('memory://') });
}

describe('IPv6 addresses with an IPv4 address inside', () => {
  const forms = () => [
    `http://[::127.0.0.1]:${counter.port}`,
    `http://[::7f00:1]:${counter.port}`,
    `http://[::10.0.0.1]`,
    `http://[::169.254.169.254]`,
    `http://[::ffff:0:127.0.0.1]:${counter.port}`,
    `http://[64:ff9b::127.0.0.1]:${counter.port}`,
    `http://[2002:7f00:1::1]:${counter.port}`,
  ];

  it('are refused at registration with a clear message, nothing stored, nothing sent', async () => {
    const t = await terminal();
    const members = new Members(t, 'http://127.0.0.9:1');
    for (const url of forms()) {
      const error = await members
        .register({ group: 'g', userKey: 'tg:1', displayName: 'Ann', usernameHint: 'ann', selfies: [Buffer.from('selfie')], album: { url, username: 'ann' } })
        .catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(AlbumAddressError);
      expect((error as Error).message, url).toMatch(/is not allowed: it leads to/);
    }
    expect(await t.contacts.list('g')).toEqual([]);
    expect(counter.connections()).toBe(0);
    await t.close();
  });

  it('are refused at delivery (final, album_address_refused), and the loopback listener receives nothing', async () => {
    const t = await terminal();
    for (const album of forms()) {
      const packet = await t.outbox.enqueue({ album, username: 'ann', picture: Buffer.from(album), untrusted: true });
      expect(await t.outbox.attempt(packet.id), album).toMatchObject({ kind: 'refused', code: 'album_address_refused' });
    }
    expect(counter.connections()).toBe(0);
    await t.close();
  });
});
