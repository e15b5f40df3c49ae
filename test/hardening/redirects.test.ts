// Issue 23, finding 3: a redirect from an album address is a final answer for that packet, never followed,
// whoever gave the address (an allowed host, the built-in album, the CLI's contact book). Loopback only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import type { FaceEngine } from '../../core/faces/index.ts';
import { openRecords } from '../../core/records/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { tempDir } from '../helpers.ts';

const noEngine = new Proxy({}, { get: () => () => Promise.reject(new Error('the engine must not be used')) }) as FaceEngine;

/** Where a redirect points: counts every connection (nothing may arrive). */
let target: http.Server;
let targetConnections = 0;
/** An album that answers every request with a redirect to the target. */
let redirector: http.Server;
let redirectorUrl: string;

const listen = async (server: http.Server, host: string) => {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  target = http.createServer((req, res) => {
    req.resume();
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'stored', id: 'leaked' }));
  });
  target.on('connection', () => targetConnections++);
  const targetUrl = await listen(target, '127.0.0.1');
  redirector = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(307, { location: `${targetUrl}${req.url ?? '/'}` }).end());
  });
  redirectorUrl = await listen(redirector, '127.0.0.2');
});
afterAll(async () => {
  await new Promise((resolve) => target.close(resolve));
  await new Promise((resolve) => redirector.close(resolve));
});

async function terminalWith(env: Record<string, string>): Promise<Terminal> {
  const config = loadConfig({ DATA_DIR: tempDir(), LOG_LEVEL: 'silent', PUBLIC_URL: 'http://127.0.0.9:1', ...env }, { dotenv: false });
  return openTerminal(config, { engine: noEngine, records: await openRecords('memory://') });
}

describe('redirects from album servers', () => {
  it('a 307 from an allowed host, the built-in album or a CLI contact is refused as redirect_refused, final, and the picture goes nowhere else', async () => {
    const cases: Array<{ how: string; env: Record<string, string>; untrusted: boolean }> = [
      { how: 'ALBUM_ALLOWED_HOSTS', env: { ALBUM_ALLOWED_HOSTS: '127.0.0.2' }, untrusted: true },
      { how: 'built-in album', env: { PUBLIC_URL: redirectorUrl }, untrusted: true },
      { how: 'CLI / XML contact', env: {}, untrusted: false },
    ];
    for (const { how, env, untrusted } of cases) {
      const terminal = await terminalWith(env);
      const packet = await terminal.outbox.enqueue({ album: redirectorUrl, username: 'ann', picture: Buffer.from(`group photo ${how}`), untrusted });
      const outcome = await terminal.outbox.attempt(packet.id);
      expect(outcome, how).toMatchObject({ kind: 'refused', status: 307, code: 'redirect_refused', message: expect.stringMatching(/redirect/) });
      expect(await terminal.outbox.pending(), how).toEqual([]);
      await terminal.close();
    }
    expect(targetConnections).toBe(0);
  });
});
