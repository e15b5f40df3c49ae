// `npm run bench -- serve`: `facedrop share` into a local `facedrop serve` album server, as a user meets it: from
// the command's start until every album holds the photos delivered to it, against the naive reference script
// (bench/naive-script.ts, face-api's Node demo over the same photos; it delivers nothing, so it is the naive side's
// lower bound). The same photos as `whole`; the members are bbt's and knn's (one selfie each) when ../shared/faces
// is there, else the demo stand-in's (test/demo-fixture.ts). Each round gets fresh accounts and a fresh terminal, so
// no album check is skipped as a duplicate.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { createFaceEngine } from '../core/faces/index.ts';
import { createAccount, getAlbum } from '../core/share/index.ts';
import { openTerminal } from '../core/terminal.ts';
import { writeDemoBbt } from '../test/demo-fixture.ts';
import { freePort, startServe, waitUntil } from '../test/processes.ts';
import { demoSamples, FACES_DIR, hasFixtures, loadFixture, type Fixture } from './fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

function run(args: string[], env: Record<string, string>): Promise<{ ms: number; stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let stdout = '';
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, stdout, code }));
  });
}

interface ShareJson {
  photos: Array<{ file: string; ok: boolean; deliveries?: Array<{ username: string; outcome: string }> }>;
}

export async function shareIntoServe(log: (s: string) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-bench-serve-'));
  const photos = [...demoSamples];
  const fixtures: Fixture[] = [];
  if (hasFixtures('bbt') && hasFixtures('knn')) {
    for (const d of ['bbt/group', 'knn/test']) photos.push(...fs.readdirSync(path.join(FACES_DIR, d)).sort().map((f) => path.join(FACES_DIR, d, f)));
    fixtures.push(loadFixture('bbt'), loadFixture('knn'));
  } else {
    const root = await writeDemoBbt(path.join(dir, 'faces'));
    photos.push(...Object.keys(loadFixture('bbt', root).photos));
    fixtures.push(loadFixture('bbt', root));
  }
  const members = fixtures.flatMap((f) => f.members.map((m) => ({ name: m, selfie: fs.readFileSync(f.selfies[m]![0]!) })));
  log(`## Share into a local serve: ${photos.length} photos, ${members.length} members with an account each on a \`facedrop serve\` on this machine (${os.availableParallelism()} cores)`);
  const port = await freePort();
  const albumUrl = `http://127.0.0.1:${port}`;
  // One data folder for both, as `facedrop serve` and `facedrop share` run on one machine by default: the share is
  // then a terminal the album knows (not rate-limited like a stranger).
  const dataDir = path.join(dir, 'data');
  const serve = await startServe({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: albumUrl, FACE_THREADS: String(os.availableParallelism()) });
  try {
    // The members' descriptors once, in this process (its engine stays idle while anything is timed).
    const engine = createFaceEngine({ threads: 1 });
    const refs = [];
    for (const m of members) refs.push({ ...m, face: (await engine.selfie(m.selfie)).face });
    const rounds = Math.max(1, Number(process.env.BENCH_WHOLE_ROUNDS ?? 3));
    const times = { facedrop: [] as number[], naive: [] as number[] };
    let delivered = 0;
    for (let r = 0; r <= rounds; r++) {
      // Fresh accounts and a fresh group (not timed); round 0 is the warm-up of both.
      const group = `bench-r${r}`;
      const terminal = await openTerminal(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { dotenv: false }), { engine });
      const tokens = new Map<string, string>();
      for (const m of refs) {
        const username = `${m.name.replace(/[^A-Za-z0-9_.-]/g, '')}-r${r}`;
        tokens.set(username, (await createAccount(albumUrl, username, [m.selfie])).token);
        await terminal.contacts.add(group, { name: `${m.name}-r${r}`, album: albumUrl, username, descriptors: [m.face.descriptor], ages: [m.face.age ?? null] });
      }
      await terminal.close();
      const t0 = performance.now();
      const share = await run(['bin/facedrop.js', 'share', '--json', '--group', group, ...photos], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
      // Until every album holds what the share reported delivered (it waits for each delivery's answer).
      const report = JSON.parse(share.stdout) as ShareJson;
      const want = new Map<string, number>();
      const outcomes = new Map<string, number>();
      for (const p of report.photos) {
        for (const d of p.deliveries ?? []) {
          outcomes.set(d.outcome, (outcomes.get(d.outcome) ?? 0) + 1);
          if (d.outcome === 'delivered') want.set(d.username, (want.get(d.username) ?? 0) + 1);
        }
      }
      if ([...outcomes.keys()].some((k) => k !== 'delivered')) process.stderr.write(`[serve bench] round ${r}: outcomes ${JSON.stringify(Object.fromEntries(outcomes))}\n`);
      await waitUntil('every album holding its photos', async () => {
        for (const [username, n] of want) if ((await getAlbum(albumUrl, tokens.get(username)!)).photos.length < n) return false;
        return true;
      });
      const facedropMs = performance.now() - t0;
      const naive = await run(['--import', 'tsx', 'bench/naive-script.ts', ...photos], {});
      if (naive.code !== 0) throw new Error(`naive script exited with ${naive.code}`);
      if (r === 0) continue;
      times.facedrop.push(facedropMs);
      times.naive.push(naive.ms);
      delivered = [...want.values()].reduce((a, b) => a + b, 0);
    }
    await engine.close();
    if (process.env.BENCH_DEBUG) process.stderr.write(serve.output().split('\n').filter((l) => /upload accepted|hinted/.test(l)).slice(0, 40).join('\n'));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    log('| | all photos in their albums s | each run |');
    log('|---|---|---|');
    log(`| naive reference script (analysis only, nothing delivered) | ${(median(times.naive) / 1000).toFixed(2)} | ${times.naive.map((t) => (t / 1000).toFixed(2)).join(', ')} |`);
    log(`| facedrop share into serve (${delivered} deliveries, each checked by the album) | ${(median(times.facedrop) / 1000).toFixed(2)} | ${times.facedrop.map((t) => (t / 1000).toFixed(2)).join(', ')} |`);
    log(`\nshare into serve / naive (medians of ${rounds} alternating runs): **${(median(times.naive) / median(times.facedrop)).toFixed(2)}x**\n`);
  } finally {
    await serve.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
