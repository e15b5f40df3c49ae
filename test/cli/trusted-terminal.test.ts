// Issue 26, item 2: the album does not rate-limit the terminals that share its database (`facedrop share` on
// serve's DATA_DIR) like strangers: a share of more photos than UPLOAD_RATE_LIMIT allows a minute meets no 429.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../../core/share/index.ts';
import { loadPlumbingFixture, read, tempDir } from '../helpers.ts';
import { freePort, runCli, startServe } from '../processes.ts';

const fx = loadPlumbingFixture();

describe('the built-in album and its own terminals (issue 26)', () => {
  it('delivers every packet of a share beyond UPLOAD_RATE_LIMIT without a 429, while a stranger is still limited', async () => {
    const dir = tempDir('facedrop-trusted-');
    const port = String(await freePort());
    const url = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: path.join(dir, 'data'), HOST: '127.0.0.1', PORT: port, PUBLIC_URL: url, UPLOAD_RATE_LIMIT: '2', FACE_THREADS: '1' };
    const serve = await startServe(env);
    try {
      for (const m of ['leonard', 'sheldon']) {
        await createAccount(url, m, [read(fx.selfies[m]![0]!)]);
        const added = await runCli(['contacts', 'add', '--name', m, '--album', url, '--username', m, '--photo', fx.selfies[m]![0]!], env);
        expect(added.code, added.stderr).toBe(0);
      }
      // Five group photos with both in each: ten uploads, five times the limit.
      const photos = Object.keys(fx.photos).sort();
      const shared = await runCli(['share', '--json', ...photos], env);
      expect(shared.code, shared.stderr + shared.stdout.slice(-2000)).toBe(0);
      const report = JSON.parse(shared.stdout) as { delivered: number; queued: number; refused: number; photos: Array<{ deliveries?: Array<{ outcome: string; detail?: string }> }> };
      expect(report.photos.flatMap((p) => p.deliveries ?? []).filter((d) => d.outcome !== 'delivered')).toEqual([]);
      expect(report).toMatchObject({ delivered: 10, queued: 0, refused: 0 });

      // Anyone else still meets the limit.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const form = new FormData();
        form.set('username', 'leonard');
        form.set('picture', new Blob([read(fx.selfies.sheldon![1]!)]), 'x.png');
        statuses.push((await fetch(`${url}/api/upload`, { method: 'POST', body: form, headers: { 'x-facedrop-local-terminal': 'a-guess' } })).status);
      }
      expect(statuses[2]).toBe(429);
    } finally {
      await serve.stop('SIGKILL');
    }
  });
});
