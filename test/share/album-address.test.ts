// Album addresses typed by chat users must not lead the terminal to its own loopback, private networks or
// cloud metadata (SSRF). Only loopback is ever connected to here; 10.x and 169.254.x are refused before any connect.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import type { FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { AlbumAddressError, assertAlbumAddressAllowed, blockedRange, guardedDispatcher } from '../../core/share/album-address.ts';
import { openRecords } from '../../core/records/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { tempDir } from '../helpers.ts';

/** An album stand-in on 127.0.0.1 that counts every connection and stores every upload. */
let listener: http.Server;
let port: number;
let connections = 0;
let uploads = 0;
beforeAll(async () => {
  listener = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      uploads++;
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'stored', id: `p${uploads}` }));
    });
  });
  listener.on('connection', () => connections++);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => listener.close(resolve)));

// Registration refuses before any face work: an engine that fails on use proves it.
const noEngine = new Proxy({}, { get: () => () => Promise.reject(new Error('the engine must not be used')) }) as FaceEngine;

async function terminalWith(env: Record<string, string> = {}): Promise<Terminal> {
  const dir = tempDir();
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://127.0.0.1:1', ...env }, { dotenv: false });
  return openTerminal(config, { engine: noEngine, records: await openRecords('memory://') });
}

const register = (members: Members, url: string) =>
  members.register({ group: 'g', userKey: 'tg:1', displayName: 'Ann', usernameHint: 'ann', selfies: [Buffer.from('selfie')], album: { url, username: 'ann' } });

describe('album addresses typed in a chat', () => {
  const refused = () => [`http://127.0.0.1:${port}`, 'http://10.0.0.1', 'http://169.254.169.254', 'http://[::1]', `http://[::ffff:127.0.0.1]:${port}`, 'http://100.64.0.1', `http://localhost:${port}`];

  it('are refused at registration with a clear message when they are or resolve to loopback, private, link-local or CGNAT addresses, and nothing is stored', async () => {
    const terminal = await terminalWith();
    const members = new Members(terminal, 'http://127.0.0.1:1');
    const before = connections;
    for (const url of refused()) {
      const error = await register(members, url).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(AlbumAddressError);
      expect((error as Error).message).toMatch(/is not allowed: it leads to (a loopback|a private network|a link-local|a carrier-grade NAT)/);
    }
    expect(await terminal.contacts.list('g')).toEqual([]);
    expect(connections).toBe(before);
    await terminal.close();
  });

  it('a host name is checked on every address DNS gives for it', async () => {
    const policy = { allowPrivate: false, allowedHosts: [] };
    const lookup = async () => [{ address: '93.184.215.14' }, { address: '127.0.0.1' }];
    await expect(assertAlbumAddressAllowed('http://album.example', policy, lookup)).rejects.toThrow(/a loopback address/);
    await expect(assertAlbumAddressAllowed('http://album.example', policy, async () => [{ address: '93.184.215.14' }])).resolves.toBeUndefined();
    await expect(assertAlbumAddressAllowed('http://nowhere.invalid', policy, async () => Promise.reject(new Error('ENOTFOUND')))).rejects.toThrow(/not found/);
  });

  it('deliveries to a chat user’s address are checked again at connect time (DNS rebinding): refused, final, and the listener receives nothing', async () => {
    const terminal = await terminalWith();
    const before = connections;
    for (const album of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, 'http://10.0.0.1', 'http://169.254.169.254', `http://[::1]:${port}`]) {
      // As if the address had passed registration and DNS changed since.
      const packet = await terminal.outbox.enqueue({ album, username: 'ann', picture: Buffer.from(album), untrusted: true });
      const outcome = await terminal.outbox.attempt(packet.id);
      expect(outcome, album).toMatchObject({ kind: 'refused', code: 'album_address_refused' });
    }
    expect(connections).toBe(before);
    expect(await terminal.outbox.pending()).toEqual([]);
    await terminal.close();
  });

  it('the connect-time check refuses a host whose DNS answer is private, without connecting', async () => {
    const rebound = ((_host: string, _options: unknown, callback: (e: null, a: Array<{ address: string; family: number }>) => void) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }])) as never;
    const dispatcher = guardedDispatcher(`http://album.example:${port}`, rebound);
    const before = connections;
    const error = await fetch(`http://album.example:${port}/api/upload`, { dispatcher } as RequestInit).catch((e: unknown) => e);
    expect(String((error as Error).cause)).toMatch(/AlbumAddressError: .*a loopback address/);
    expect(connections).toBe(before);
    await dispatcher.close();
  });

  it('with ALBUM_ALLOWED_HOSTS naming the host, registration and delivery work', async () => {
    for (const [host, album] of [['localhost', `http://localhost:${port}`], ['127.0.0.1', `http://127.0.0.1:${port}`]] as const) {
      const terminal = await terminalWith({ ALBUM_ALLOWED_HOSTS: `other.example, ${host}` });
      const members = new Members(terminal, 'http://127.0.0.1:1');
      // Past the address check, registration reaches the face engine (which this test does not run).
      await expect(register(members, album)).rejects.toThrow(/engine must not be used/);
      const before = uploads;
      const packet = await terminal.outbox.enqueue({ album, username: 'ann', picture: Buffer.from(`photo for ${host}`), untrusted: true });
      expect(await terminal.outbox.attempt(packet.id)).toMatchObject({ kind: 'delivered' });
      expect(uploads).toBe(before + 1);
      await terminal.close();
    }
  });

  it('with ALBUM_ALLOW_PRIVATE=true any address is allowed; the built-in album (PUBLIC_URL) always is', async () => {
    const open = await terminalWith({ ALBUM_ALLOW_PRIVATE: 'true' });
    const packet = await open.outbox.enqueue({ album: `http://127.0.0.1:${port}`, username: 'ann', picture: Buffer.from('any'), untrusted: true });
    expect(await open.outbox.attempt(packet.id)).toMatchObject({ kind: 'delivered' });
    await open.close();
    const strict = await terminalWith({ PUBLIC_URL: `http://127.0.0.1:${port}` });
    const builtIn = await strict.outbox.enqueue({ album: `http://127.0.0.1:${port}`, username: 'ann', picture: Buffer.from('built-in'), untrusted: true });
    expect(await strict.outbox.attempt(builtIn.id)).toMatchObject({ kind: 'delivered' });
    await strict.close();
  });

  it('addresses the owner gives (CLI, XML) stay trusted', async () => {
    const terminal = await terminalWith();
    const packet = await terminal.outbox.enqueue({ album: `http://127.0.0.1:${port}`, username: 'ann', picture: Buffer.from('owner') });
    expect(await terminal.outbox.attempt(packet.id)).toMatchObject({ kind: 'delivered' });
    await terminal.close();
  });
});

describe('blockedRange', () => {
  it('names every non-public range, IPv4 and IPv6, IPv4-mapped included, and passes public unicast', () => {
    const cases: Record<string, RegExp | undefined> = {
      '127.0.0.1': /loopback/, '10.0.0.1': /private/, '172.16.0.1': /private/, '192.168.1.1': /private/,
      '169.254.169.254': /link-local/, '100.64.0.1': /carrier-grade/, '100.100.100.200': /carrier-grade/,
      '224.0.0.1': /multicast/, '0.0.0.0': /unspecified/, '255.255.255.255': /broadcast/,
      '::1': /loopback/, '::': /unspecified/, 'fe80::1': /link-local/, 'fd00:ec2::254': /private/, 'ff02::1': /multicast/,
      '::ffff:127.0.0.1': /loopback/, '::ffff:10.0.0.1': /private/, '64:ff9b::7f00:1': /reserved/,
      '93.184.215.14': undefined, '2606:4700:4700::1111': undefined, '::ffff:93.184.215.14': undefined,
    };
    for (const [ip, expected] of Object.entries(cases)) {
      if (expected) expect(blockedRange(ip), ip).toMatch(expected);
      else expect(blockedRange(ip), ip).toBeUndefined();
    }
  });
});
