// Issue 26, item 1: the CLI ends cleanly after every refusal. Exiting while a face worker still loads or
// runs onnxruntime aborted it (Napi::Error, exit 134, or piscina's "Unexpected message from Worker").
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlumbingFixture, tempDir } from '../helpers.ts';
import { runCli, type Finished } from '../processes.ts';
import { crashSigns } from './crash-signs.ts';

/** Runs `count` times, two at a time (the machine is shared), and returns each run. */
async function repeat(count: number, once: () => Promise<Finished>): Promise<Finished[]> {
  const out: Finished[] = [];
  for (let i = 0; i < count; i += 2) out.push(...(await Promise.all([once(), once()])));
  return out;
}

const fx = loadPlumbingFixture();

describe('the CLI after an error (issue 26)', () => {
  it('ends every refusal with its one-line message and exit 1, 20 times each, never with a crash trace', async () => {
    const dir = tempDir('facedrop-clean-exit-');
    // Two workers: a selfie keeps one busy while the other may still be loading its models.
    const env = { DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', FACE_THREADS: '2' };
    const album = 'http://127.0.0.1:9';
    const added = await runCli(['contacts', 'add', '--name', 'leonard', '--album', album, '--no-check', '--username', 'leonard', '--photo', fx.selfies.leonard![0]!], env);
    expect(added.code, added.stderr).toBe(0);
    const groupPhoto = Object.keys(fx.photos).find((p) => p.endsWith('bbt1.jpg'))!;
    const notAnImage = path.join(dir, 'notes.jpg');
    fs.writeFileSync(notAnImage, 'a text file with a .jpg name');
    const refusals: Array<{ what: string; args: string[]; message: RegExp }> = [
      { what: 'a face already in the group', args: ['contacts', 'add', '--name', 'leo2', '--album', album, '--no-check', '--username', 'leo2', '--photo', fx.selfies.leonard![1]!], message: /already registered to leonard/ },
      { what: 'no such file', args: ['contacts', 'add', '--name', 'x', '--album', album, '--no-check', '--username', 'x', '--photo', path.join(dir, 'nosuch.jpg')], message: /no such file/ },
      { what: 'an ftp:// album address', args: ['contacts', 'add', '--name', 'x', '--album', 'ftp://example.org', '--username', 'x', '--photo', fx.selfies.penny![0]!], message: /http or https/ },
      { what: 'several faces', args: ['contacts', 'add', '--name', 'x', '--album', album, '--no-check', '--username', 'x', '--photo', groupPhoto], message: /faces of similar size/ },
      { what: 'an album name with spaces', args: ['contacts', 'add', '--name', 'x', '--album', album, '--username', 'bad name!', '--photo', fx.selfies.penny![0]!], message: /not an album account name/ },
      { what: 'an album address that leads nowhere', args: ['contacts', 'add', '--name', 'x', '--album', 'not-a-url.invalid', '--username', 'x', '--photo', fx.selfies.penny![0]!], message: /could not be reached/ },
      { what: 'an unknown group', args: ['share', '--group', 'nosuch', groupPhoto], message: /no members in group "nosuch"/ },
      { what: 'an unknown option of share (its workers start first)', args: ['share', '--bogus', groupPhoto], message: /unknown option/ },
      { what: 'a file share cannot read', args: ['share', notAnImage], message: /not_an_image|not an image|unreadable/i },
    ];
    for (const refusal of refusals) {
      const runs = await repeat(20, () => runCli(refusal.args, env));
      for (const r of runs) {
        expect(crashSigns(r), `${refusal.what}:\n${r.stderr}`).toEqual([]);
        expect(r.code, `${refusal.what}: ${r.stderr}`).toBe(1);
        expect(r.stderr + r.stdout, refusal.what).toMatch(refusal.message);
      }
    }
    // Nothing was stored by any refusal.
    const list = await runCli(['contacts', 'list', '--json'], env);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((c) => c.name)).toEqual(['leonard']);
  }, 900_000);
});
