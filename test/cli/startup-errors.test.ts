// Issue 26, item 7: a start that cannot work stops with one line naming the variable and what is wrong,
// never its value and never a stack trace; a bot whose album links no phone can open is warned about.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeTelegramApi } from '../fakes/telegram-api.ts';
import { tempDir } from '../helpers.ts';
import { freePort, runCli, startServe, waitUntil, type Finished } from '../processes.ts';
import { crashSigns } from './crash-signs.ts';

function expectOneLine(r: Finished, variable: string, problem: RegExp, secret?: string): void {
  expect(crashSigns(r), r.stderr).toEqual([]);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^facedrop: invalid environment: ${variable}: `));
  expect(lines[0]).toMatch(problem);
  if (secret) expect(r.stderr + r.stdout).not.toContain(secret);
}

describe('start-up errors (issue 26)', () => {
  it('serve with PORT=abc, a PostgreSQL that is down, a port in use or a DATA_DIR that is a file: one line each', async () => {
    const dir = tempDir('facedrop-startup-');
    const base = { DATA_DIR: path.join(dir, 'data'), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    expectOneLine(await runCli(['serve'], { ...base, PORT: 'abc' }), 'PORT', /number/, 'abc');

    const closed = await freePort(); // nothing listens there
    const secret = 'hunter2-secret-password';
    expectOneLine(
      await runCli(['serve'], { ...base, PORT: '0', DATABASE_URL: `postgres://facedrop:${secret}@127.0.0.1:${closed}/facedrop` }),
      'DATABASE_URL',
      /cannot be opened: nothing answers/,
      secret,
    );

    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((busy.address() as net.AddressInfo).port);
      expectOneLine(await runCli(['serve'], { ...base, PORT: port }), 'PORT', /already in use/);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }

    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    expectOneLine(await runCli(['serve'], { ...base, PORT: '0', DATA_DIR: file }), 'DATA_DIR', /not a folder/);
    // The CLI's other commands read the same configuration the same way.
    expectOneLine(await runCli(['contacts', 'list'], { ...base, MATCH_MARGIN: 'wide' }), 'MATCH_MARGIN', /number/, 'wide');
  });

  it('warns when a bot runs with album links on localhost (PUBLIC_URL unset), and not once PUBLIC_URL is set', async () => {
    // One fake per run: the fake answers one long poll at a time, and a killed bot's would hold it.
    const serveWith = async (extra: Record<string, string>, check: (output: () => string, fake: FakeTelegramApi) => Promise<void>) => {
      const fake = await FakeTelegramApi.start();
      try {
        const env = { DATA_DIR: tempDir('facedrop-startup-url-'), HOST: '127.0.0.1', TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, ...extra };
        const serve = await startServe(env);
        try {
          await check(serve.output, fake);
        } finally {
          await serve.stop('SIGKILL'); // a graceful stop waits out the long poll
        }
      } finally {
        await fake.close();
      }
    };
    const port = String(await freePort());
    await serveWith({ PORT: port }, async (output, fake) => {
      await waitUntil('the PUBLIC_URL warning', () => output().includes('PUBLIC_URL is not set'), 60_000);
      expect(output()).toContain(`http://localhost:${port}/a/...`);
      expect(output()).not.toContain(fake.token);
    });
    await serveWith({ PORT: String(await freePort()), PUBLIC_URL: 'https://albums.example.org' }, async (output, fake) => {
      // The bot's start-up calls reached the fake: the warning would have been logged by then.
      await waitUntil('the bot to poll', () => fake.waitingPolls > 0, 60_000);
      expect(output()).not.toContain('PUBLIC_URL');
    });
  });
});
