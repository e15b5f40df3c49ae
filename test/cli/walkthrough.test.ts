// Issue 26, must-show 2: the README's walk-through as a newcomer types it (`npm start`, then each `npx facedrop`
// command of "Command line", good input and the usual mistakes) prints no stack trace anywhere.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../../core/share/index.ts';
import { loadPlumbingFixture, read, tempDir } from '../helpers.ts';
import { freePort, ROOT, runCommand, waitUntil, type Finished } from '../processes.ts';
import { crashSigns } from './crash-signs.ts';

const fx = loadPlumbingFixture();

describe("the README's walk-through (issue 26)", () => {
  it('npm start, then every command of "Command line", right and wrong: no stack trace, exit 0 or 1', async () => {
    const dir = tempDir('facedrop-walkthrough-');
    const port = String(await freePort());
    const album = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: path.join(dir, 'data'), HOST: '127.0.0.1', PORT: port, PUBLIC_URL: album, FACE_THREADS: '1' };
    const serve = spawn('npm', ['start'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let serveOutput = '';
    serve.stdout.on('data', (d) => (serveOutput += d));
    serve.stderr.on('data', (d) => (serveOutput += d));
    const facedrop = (...args: string[]) => runCommand('npx', ['facedrop', ...args], env);
    const steps: Array<[string, Finished]> = [];
    try {
      await waitUntil('the album server', async () => (await fetch(`${album}/healthz`).then((r) => r.status, () => 0)) === 200, 90_000);
      for (const m of ['leonard', 'sheldon', 'penny']) await createAccount(album, m, [read(fx.selfies[m]![0]!)]);
      const photos = path.join(dir, 'party');
      fs.mkdirSync(photos);
      for (const p of Object.keys(fx.photos).slice(0, 2)) fs.copyFileSync(p, path.join(photos, path.basename(p)));
      fs.writeFileSync(path.join(photos, 'notes.jpg'), 'not a photo');
      fs.copyFileSync(fx.selfies.sheldon![0]!, path.join(dir, 'sheldon.png'));
      fs.copyFileSync(fx.selfies.penny![0]!, path.join(dir, 'penny.png'));
      const [host] = album.replace('http://', '').split(':');
      fs.writeFileSync(
        path.join(dir, 'contacts.xml'),
        `<contacts>${['sheldon', 'penny'].map((m) => `<contact><name>${m}</name><address>${host}</address><port>${port}</port><username>${m}</username><photo>${m}.png</photo></contact>`).join('')}</contacts>`,
      );
      steps.push(['contacts add', await facedrop('contacts', 'add', '--name', 'leonard', '--album', album, '--username', 'leonard', '--photo', fx.selfies.leonard![0]!, '--group', 'family')]);
      steps.push(['contacts import', await facedrop('contacts', 'import', path.join(dir, 'contacts.xml'), '--group', 'family')]);
      steps.push(['contacts export', await facedrop('contacts', 'export', '--group', 'family')]);
      steps.push(['contacts list', await facedrop('contacts', 'list', '--group', 'family')]);
      steps.push(['share --json', await facedrop('share', '--group', 'family', '--json', photos)]);
      steps.push(['share', await facedrop('share', '--group', 'family', photos)]);
      steps.push(['contacts remove', await facedrop('contacts', 'remove', 'penny', '--group', 'family')]);
      // The usual mistakes.
      steps.push(['add, same face again', await facedrop('contacts', 'add', '--name', 'leo', '--album', album, '--username', 'leonard', '--photo', fx.selfies.leonard![1]!, '--group', 'family')]);
      steps.push(['add, no such file', await facedrop('contacts', 'add', '--name', 'x', '--album', album, '--username', 'x', '--photo', 'ann.jpg')]);
      steps.push(['import, no such file', await facedrop('contacts', 'import', 'contacts.xml')]);
      steps.push(['remove, nobody', await facedrop('contacts', 'remove', 'Ann')]);
      steps.push(['share, no group', await facedrop('share', '--group', 'nosuch', photos)]);
      steps.push(['share, nothing', await facedrop('share')]);
      steps.push(['a typo', await facedrop('shrae')]);
      for (const [what, r] of steps) {
        expect(crashSigns(r), `${what}:\n${r.stderr}`).toEqual([]);
        expect([0, 1], `${what}: ${r.stderr}`).toContain(r.code);
      }
      expect(steps.slice(0, 4).map(([, r]) => r.code)).toEqual([0, 0, 0, 0]);
      expect(steps[4]![1].code).toBe(1); // notes.jpg is not a photo
      expect(steps.slice(7).every(([, r]) => r.code === 1)).toBe(true);
    } finally {
      process.kill(-serve.pid!, 'SIGTERM');
      await new Promise((resolve) => serve.once('close', resolve));
    }
    expect(crashSigns({ code: 0, stdout: serveOutput, stderr: '' }), serveOutput).toEqual([]);
  }, 600_000);
});
