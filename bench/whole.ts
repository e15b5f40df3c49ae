// `npm run bench -- whole`: whole processes, start-up included: `facedrop share` against the naive reference
// script (bench/naive-script.ts) over the same photos: bbt's 5 group photos, knn's 5 test photos (when
// ../shared/faces is there) and face-api's 6 demo photos.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoSamples, FACES_DIR, hasFixtures } from './fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Timed {
  first: number;
  total: number;
  /** CPU time of the process, all threads, ms (bench/cpu-report.mjs). */
  cpu: number;
  code: number | null;
  lines: number;
}

/** Runs a command; wall time to its first line of output and to its end (ms). */
function timed(command: string, args: string[], env: Record<string, string>): Promise<Timed> {
  const cpuFile = path.join(env.DATA_DIR ?? os.tmpdir(), `cpu-${process.pid}.json`);
  fs.rmSync(cpuFile, { force: true });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = NaN;
    let lines = 0;
    const child = spawn(command, ['--import', './bench/cpu-report.mjs', ...args], { cwd: ROOT, env: { ...process.env, ...env, BENCH_CPU_FILE: cpuFile }, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (d: Buffer) => {
      if (Number.isNaN(first)) first = performance.now() - t0;
      lines += d.toString().split('\n').length - 1;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const total = performance.now() - t0;
      const usage = fs.existsSync(cpuFile) ? (JSON.parse(fs.readFileSync(cpuFile, 'utf8')) as { user: number; system: number }) : undefined;
      resolve({ first, total, cpu: usage ? (usage.user + usage.system) / 1000 : NaN, code, lines });
    });
  });
}

export async function wholeProcesses(log: (s: string) => void): Promise<void> {
  const photos = [...demoSamples];
  if (hasFixtures('bbt') && hasFixtures('knn')) {
    for (const dir of ['bbt/group', 'knn/test']) photos.push(...fs.readdirSync(path.join(FACES_DIR, dir)).sort().map((f) => path.join(FACES_DIR, dir, f)));
  }
  log(`## Whole processes: ${photos.length} photos, start-up included (${os.availableParallelism()} cores)`);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-bench-'));
  try {
    const env = { DATA_DIR: data, LOG_LEVEL: 'silent' };
    // One warm-up run each, so both read their files from the page cache; then alternate, so load from
    // elsewhere on the machine falls on both alike, and take each one's median.
    const rounds = Math.max(1, Number(process.env.BENCH_WHOLE_ROUNDS ?? 3));
    // The default group: a named group with no members is an error (issue 26); here nobody is to match.
    const shareArgs = ['bin/facedrop.js', 'share', ...photos];
    const naiveArgs = ['--import', 'tsx', 'bench/naive-script.ts', ...photos];
    await timed(process.execPath, shareArgs, env);
    await timed(process.execPath, naiveArgs, env);
    const runs = { facedrop: [] as Timed[], naive: [] as Timed[] };
    for (let r = 0; r < rounds; r++) {
      runs.facedrop.push(await timed(process.execPath, shareArgs, env));
      runs.naive.push(await timed(process.execPath, naiveArgs, env));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    log(`| | first photo s | all photos s | photos/s | CPU s (all threads) | all photos s, each run |`);
    log('|---|---|---|---|---|---|');
    const totals = { facedrop: 0, naive: 0 };
    for (const [name, key] of [['naive reference script', 'naive'], ['facedrop share', 'facedrop']] as const) {
      for (const r of runs[key]) if (r.code !== 0) throw new Error(`${name} exited with ${r.code}`);
      const first = median(runs[key].map((r) => r.first));
      const total = median(runs[key].map((r) => r.total));
      totals[key] = total;
      const cpu = median(runs[key].map((r) => r.cpu));
      log(`| ${name} | ${(first / 1000).toFixed(2)} | ${(total / 1000).toFixed(2)} | ${((photos.length / total) * 1000).toFixed(2)} | ${(cpu / 1000).toFixed(2)} | ${runs[key].map((r) => (r.total / 1000).toFixed(2)).join(', ')} |`);
    }
    log(`\nfacedrop share / naive, whole processes (medians of ${rounds} alternating runs): **${(totals.naive / totals.facedrop).toFixed(2)}x**`);
    // Start-up's share: the same command on one photo.
    const one = await timed(process.execPath, ['bin/facedrop.js', 'share', photos[0]!], env);
    log(`facedrop share on one photo: ${(one.total / 1000).toFixed(2)} s, CPU ${(one.cpu / 1000).toFixed(2)} s (start-up and one photo)\n`);
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
}
