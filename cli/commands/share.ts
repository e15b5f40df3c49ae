import fs from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import PQueue from 'p-queue';
import { ImageError } from '../../core/faces/index.ts';
import type { ShareReport } from '../../core/share/index.ts';
import { DEFAULT_GROUP, withTerminal } from './context.ts';

export interface PhotoResult {
  file: string;
  ok: boolean;
  error?: { code: string; message: string };
  faces?: number;
  matched?: string[];
  deliveries?: Array<{ name: string; username: string; album: string; outcome: string; detail?: string }>;
}

/** Files as given, folders walked for image files (sorted, so a run is repeatable). */
export function collectPhotos(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      out.push(p); // reported as unreadable below
      continue;
    }
    if (stat.isDirectory()) {
      // Every file, not only known extensions: a mislabelled or damaged file is reported, never skipped silently.
      const entries = (fs.readdirSync(p, { recursive: true }) as string[]).sort();
      for (const e of entries) {
        const full = path.join(p, e);
        // lstat: a dangling link is listed, then reported as unreadable.
        const entry = fs.lstatSync(full, { throwIfNoEntry: false });
        if (!path.basename(e).startsWith('.') && (entry?.isFile() || entry?.isSymbolicLink())) out.push(full);
      }
    } else out.push(p);
  }
  return out;
}

function describe(file: string, report: ShareReport): PhotoResult {
  return {
    file,
    ok: true,
    faces: report.faces,
    matched: report.deliveries.map((d) => d.name),
    deliveries: report.deliveries.map((d) => ({
      name: d.name,
      username: d.username,
      album: d.album,
      outcome: d.outcome.kind,
      ...(d.outcome.kind === 'refused' ? { detail: `${d.outcome.status} ${d.outcome.code}` } : {}),
      ...(d.outcome.kind === 'queued' ? { detail: d.outcome.lastError } : {}),
    })),
  };
}

function line(r: PhotoResult): string {
  if (!r.ok) return `✗ ${r.file}: ${r.error?.message}`;
  const who = r.deliveries?.length ? r.deliveries.map((d) => `${d.name} (${d.outcome}${d.detail ? `: ${d.detail}` : ''})`).join(', ') : 'nobody matched';
  return `✓ ${r.file}: ${r.faces} face(s); ${who}`;
}

async function writePreview(dir: string, file: string, bytes: Buffer, report: ShareReport): Promise<void> {
  const names = new Map(report.deliveries.map((d) => [d.memberId, d.name]));
  const faces = report.boxes.map((box, i) => {
    const m = report.matches[i];
    const label = m?.kind === 'match' ? names.get(m.memberId) : undefined;
    return label ? { box, label } : { box };
  });
  const target = path.join(dir, `${path.basename(file, path.extname(file))}.faces.jpg`);
  // Loaded only with --preview: sharp on the main thread would slow every share's start.
  const { drawFacePreview } = await import('../../core/faces/preview.ts');
  await fs.promises.writeFile(target, await drawFacePreview(bytes, faces));
}

export function registerShareCommand(program: Command): void {
  program
    .command('share')
    .description('Match photos (files or folders) against a group and send each matched member their photos')
    .argument('<paths...>', 'photo files or folders')
    .option('--group <group>', 'group name', DEFAULT_GROUP)
    .option('--json', 'print one machine-readable report')
    .option('--preview <dir>', 'also write each photo with its faces boxed and named, as <dir>/<name>.faces.jpg')
    .action(async (paths: string[], o: { group: string; json?: boolean; preview?: string }) => {
      if (o.preview) fs.mkdirSync(o.preview, { recursive: true });
      const files = collectPhotos(paths);
      const results = await withTerminal(async (terminal) => {
        await terminal.outbox.drain(); // packets left queued by an earlier run go first
        const interactive = !o.json && process.stderr.isTTY;
        const bar = interactive ? new SingleBar({ format: 'sharing {bar} {value}/{total} photos | {file}', hideCursor: true }, Presets.shades_classic) : undefined;
        bar?.start(files.length, 0, { file: '' });
        const queue = new PQueue({ concurrency: terminal.engine.threads });
        const out: PhotoResult[] = new Array(files.length);
        await Promise.all(
          files.map((file, i) =>
            queue.add(async () => {
              let result: PhotoResult;
              try {
                const bytes = await fs.promises.readFile(file);
                const report = await terminal.sharer.share(bytes, { group: o.group, filename: path.basename(file) });
                result = describe(file, report);
                if (o.preview) await writePreview(o.preview, file, bytes, report);
              } catch (error) {
                const code = error instanceof ImageError ? error.code : ((error as NodeJS.ErrnoException).code ?? 'error');
                result = { file, ok: false, error: { code, message: (error as Error).message } };
              }
              out[i] = result;
              if (bar) bar.increment(1, { file: path.basename(file) });
              else if (!o.json) process.stdout.write(`${line(result)}\n`);
            }),
          ),
        );
        bar?.stop();
        if (bar) for (const r of out) process.stdout.write(`${line(r)}\n`);
        return out;
      });
      const failed = results.filter((r) => !r.ok).length;
      const queued = results.flatMap((r) => r.deliveries ?? []).filter((d) => d.outcome === 'queued').length;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ group: o.group, photos: results, failed, queued }, null, 2)}\n`);
      } else {
        const delivered = results.flatMap((r) => r.deliveries ?? []).filter((d) => d.outcome === 'delivered' || d.outcome === 'duplicate').length;
        process.stdout.write(`${results.length} photo(s), ${failed} unreadable, ${delivered} delivered, ${queued} queued for retry.\n`);
        if (queued) process.stdout.write('Queued photos are retried on the next `facedrop share` run, or continuously by `facedrop serve`.\n');
      }
      if (failed > 0) process.exitCode = 1;
    });
}
