// Issue 26, items 4 and 6: "delivered" only when an album server said so in its own JSON; `contacts add`
// stores nothing for an address that is no album server, a bad account name or an account the album lacks;
// `share` counts delivered, duplicate, refused and queued apart, exits 1 on a refusal, and an unknown group is
// an error. The CLI as a child process against a real album server and a web server that answers 200 <html>.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { createAccount, getAlbum } from '../../core/share/index.ts';
import { loadPlumbingFixture, read } from '../helpers.ts';
import { runCli } from '../processes.ts';

const fx = loadPlumbingFixture();
const groupPhoto = (name: string) => Object.keys(fx.photos).find((p) => p.endsWith(name))!;

interface Report {
  photos: Array<{ file: string; deliveries?: Array<{ name: string; outcome: string; detail?: string }> }>;
  failed: number;
  delivered: number;
  duplicate: number;
  refused: number;
  queued: number;
}

describe('honest delivery reports (issue 26)', () => {
  let engine: FaceEngine;
  let album: AlbumServer;
  let web: http.Server;
  let webUrl: string;
  let dir: string;
  let env: Record<string, string>;
  const tokens: Record<string, string> = {};
  const webRequests: string[] = [];

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 1 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-honest-'));
    album = await startAlbumServer(loadConfig({ DATA_DIR: path.join(dir, 'album'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, { dotenv: false }), { engine });
    for (const m of ['leonard', 'sheldon']) tokens[m] = (await createAccount(album.url, m, [read(fx.selfies[m]![0]!)])).token;
    // Any web server: 200 and a page for every request, uploads included.
    web = http.createServer((request, response) => {
      webRequests.push(`${request.method} ${request.url}`);
      request.resume();
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>');
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    env = { DATA_DIR: path.join(dir, 'cli'), LOG_LEVEL: 'silent', FACE_THREADS: '1' };
  });
  afterAll(async () => {
    await album?.close();
    await engine?.close();
    await new Promise((resolve) => web?.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const names = async () => (JSON.parse((await runCli(['contacts', 'list', '--json'], env)).stdout) as Array<{ name: string }>).map((c) => c.name);

  it('contacts add refuses, with one clear line and nothing stored, an address that is no album server, a bad account name and an account the album lacks', async () => {
    const add = (album: string, username: string) => runCli(['contacts', 'add', '--name', 'x', '--album', album, '--username', username, '--photo', fx.selfies.penny![0]!], env);
    const cases = [
      { r: await add(webUrl, 'penny'), message: /does not answer as an album server/ },
      { r: await add('not-a-url', 'penny'), message: /could not be reached/ },
      { r: await add(album.url, 'bad name!'), message: /not an album account name/ },
      { r: await add(album.url, 'penny'), message: /has no account named penny/ },
    ];
    for (const { r, message } of cases) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await names()).toEqual([]);
    // The web server was asked for its health only, never sent a picture.
    expect(webRequests.every((r) => r.startsWith('GET '))).toBe(true);
    const ok = await runCli(['contacts', 'add', '--name', 'leonard', '--album', album.url, '--username', 'leonard', '--photo', fx.selfies.leonard![0]!], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await names()).toEqual(['leonard']);
  });

  it('share counts delivered, duplicate and refused apart, never calls a web page a delivery, and exits 1 on a refusal', async () => {
    for (const [name, address, check] of [
      ['sheldon', album.url, true],
      ['penny', album.url, false], // the album has no account penny: every packet for her is a 404
      ['howard', webUrl, false], // a web server, not an album
    ] as const) {
      const r = await runCli(['contacts', 'add', '--name', name, '--album', address, '--username', name, '--photo', fx.selfies[name]![0]!, ...(check ? [] : ['--no-check'])], env);
      expect(r.code, r.stderr).toBe(0);
    }
    // bbt5: raj, penny, sheldon, leonard, howard.
    const first = await runCli(['share', '--json', groupPhoto('bbt5.jpg')], env);
    expect(first.code, first.stderr).toBe(1);
    const report = JSON.parse(first.stdout) as Report;
    const outcomes = Object.fromEntries(report.photos[0]!.deliveries!.map((d) => [d.name, `${d.outcome}${d.detail ? ` ${d.detail}` : ''}`]));
    expect(outcomes).toEqual({ leonard: 'delivered', sheldon: 'delivered', penny: 'refused 404 unknown_account', howard: 'refused 200 not_an_album' });
    expect(report).toMatchObject({ failed: 0, delivered: 2, duplicate: 0, refused: 2, queued: 0 });
    expect((await getAlbum(album.url, tokens.leonard!)).photos).toHaveLength(1);

    // Again: what is already in the albums is not counted as delivered a second time.
    const again = await runCli(['share', groupPhoto('bbt5.jpg')], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('1 photo(s), 0 unreadable, 0 delivered, 2 already in the album, 2 refused, 0 queued for retry.');

    // Only what the album took, as the album took it: exit 0.
    const clean = await runCli(['share', '--json', groupPhoto('bbt2.jpg')], env); // leonard, sheldon
    expect(clean.code, clean.stdout).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ delivered: 2, duplicate: 0, refused: 0, queued: 0 });
  });

  it('share --group with no members is an error that names the group and the known ones; nothing is analysed or sent', async () => {
    const r = await runCli(['share', '--group', 'nosuch', '--json', groupPhoto('bbt2.jpg')], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^facedrop: no members in group "nosuch" \(known groups: default\)/);
    expect(r.stdout).toBe('');
  });
});
