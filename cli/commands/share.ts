import fs from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import PQueue from 'p-queue';
import { ImageError } from '../../core/faces/index.ts';
import type { AnswerResult, ShareReport } from '../../core/share/index.ts';
import type { Terminal } from '../../core/terminal.ts';
import { DEFAULT_GROUP, fail, withTerminal } from './context.ts';

export interface PhotoResult {
  file: string;
  ok: boolean;
  error?: { code: string; message: string };
  faces?: number;
  sha256?: string;
  matched?: string[];
  /** `late`: delivered after a later photo of the same event taught the terminal the member's face. */
  deliveries?: Array<{ name: string; username: string; album: string; outcome: string; detail?: string; late?: true }>;
  /**
   * Near misses not delivered ("is this you?"): beyond the group's threshold, within the album's 0.62, margin
   * holding. `--confirm` delivers them through the album's normal check (then `outcome` says how it went).
   */
  unsure?: UnsureEntry[];
}

export interface UnsureEntry {
  name: string;
  distance: number;
  /** The stored question, which `facedrop share --confirm` (without paths) answers later. */
  question?: number;
  outcome?: string;
  detail?: string;
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

type DeliveryEntry = NonNullable<PhotoResult['deliveries']>[number];

function deliveryEntry(d: ShareReport['deliveries'][number]): DeliveryEntry {
  return {
    name: d.name,
    username: d.username,
    album: d.album,
    outcome: d.outcome.kind,
    ...(d.outcome.kind === 'refused' ? { detail: `${d.outcome.status} ${d.outcome.code}` } : {}),
    ...(d.outcome.kind === 'queued' ? { detail: d.outcome.lastError } : {}),
  };
}

function describe(file: string, report: ShareReport): PhotoResult {
  return {
    file,
    ok: true,
    faces: report.faces,
    sha256: report.sha256,
    matched: report.deliveries.map((d) => d.name),
    deliveries: report.deliveries.map(deliveryEntry),
    unsure: report.unsure.map((u) => ({ name: u.name, distance: Math.round(u.distance * 1000) / 1000, ...(u.sighting !== undefined ? { question: u.sighting } : {}) })),
  };
}

/** `--confirm`: the operator vouches for the near misses; each goes through the album's normal check. */
async function confirmAnswer(terminal: Terminal, question: number, memberId: string): Promise<{ outcome: string; detail?: string }> {
  const result: AnswerResult = await terminal.notices.answer(question, memberId, true);
  if ('outcome' in result) {
    const o = result.outcome;
    return { outcome: o.kind, ...(o.kind === 'refused' ? { detail: `${o.status} ${o.code}` } : {}), ...(o.kind === 'queued' ? { detail: o.lastError } : {}) };
  }
  return { outcome: result.kind === 'already' ? 'already_answered' : result.kind };
}

function line(r: PhotoResult): string {
  if (!r.ok) return `✗ ${r.file}: ${r.error?.message}`;
  const who = r.deliveries?.length ? r.deliveries.map((d) => `${d.name} (${d.outcome}${d.detail ? `: ${d.detail}` : ''}${d.late ? ', late' : ''})`).join(', ') : 'nobody matched';
  const unsure = r.unsure?.length ? `; unsure: ${r.unsure.map((u) => `${u.name} (${u.distance}${u.outcome ? `, confirmed: ${u.outcome}` : ''})`).join(', ')}` : '';
  return `✓ ${r.file}: ${r.faces} face(s); ${who}${unsure}`;
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
    .argument('[paths...]', 'photo files or folders (none with --confirm: confirm the unsure faces of earlier runs)')
    .option('--group <group>', 'group name', DEFAULT_GROUP)
    .option('--json', 'print one machine-readable report')
    .option('--confirm', 'also deliver the unsure faces ("is this you?" near misses) through the album\'s normal check')
    .option('--preview <dir>', 'also write each photo with its faces boxed and named, as <dir>/<name>.faces.jpg')
    .action(async (paths: string[], o: { group: string; json?: boolean; preview?: string; confirm?: boolean }, command: Command) => {
      if (paths.length === 0 && !o.confirm) fail('give photo files or folders to share (or --confirm alone to confirm earlier unsure faces)');
      if (paths.length === 0) return confirmEarlier(o.group, o.json ?? false);
      if (o.preview) fs.mkdirSync(o.preview, { recursive: true });
      const files = collectPhotos(paths);
      const ran = await withTerminal(async (terminal) => {
        await checkGroup(terminal, o.group, command.getOptionValueSource('group') === 'cli');
        await terminal.outbox.drain(); // packets left queued by an earlier run go first
        const interactive = !o.json && process.stderr.isTTY;
        const bar = interactive ? new SingleBar({ format: 'sharing {bar} {value}/{total} photos | {file}', hideCursor: true }, Presets.shades_classic) : undefined;
        bar?.start(files.length, 0, { file: '' });
        const queue = new PQueue({ concurrency: terminal.engine.threads });
        const out: PhotoResult[] = new Array(files.length);
        const late: Array<ShareReport['late'][number]> = [];
        await Promise.all(
          files.map((file, i) =>
            queue.add(async () => {
              let result: PhotoResult;
              try {
                const bytes = await fs.promises.readFile(file);
                const report = await terminal.sharer.share(bytes, { group: o.group, filename: path.basename(file) });
                result = describe(file, report);
                late.push(...report.late);
                if (o.confirm) {
                  for (const [i, u] of report.unsure.entries()) {
                    if (u.sighting !== undefined) Object.assign(result.unsure![i]!, await confirmAnswer(terminal, u.sighting, u.memberId));
                  }
                }
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
        // Late deliveries join the photo they belong to when it was shared in this run; others are listed apart.
        const earlier: Array<{ file: string; name: string; outcome: string }> = [];
        for (const d of late) {
          const photo = out.find((r) => r.sha256 === d.sha256);
          if (photo) {
            photo.matched = [...(photo.matched ?? []), d.name];
            photo.deliveries = [...(photo.deliveries ?? []), { ...deliveryEntry(d), late: true }];
          } else earlier.push({ file: d.filename, name: d.name, outcome: d.outcome.kind });
        }
        if (!o.json) for (const e of earlier) process.stdout.write(`✓ ${e.file} (an earlier photo of this event): ${e.name} (${e.outcome})\n`);
        if (!o.json && (bar || late.length > 0)) for (const r of out) if (bar || r.deliveries?.some((d) => d.late)) process.stdout.write(`${line(r)}\n`);
        return { out, earlier };
      });
      const { out: results, earlier } = ran;
      const counts = countOutcomes(results);
      if (o.json) {
        const unsure = results.flatMap((r) => (r.unsure ?? []).map((u) => ({ file: r.file, ...u })));
        process.stdout.write(`${JSON.stringify({ group: o.group, photos: results, ...counts, unsure, ...(earlier.length ? { late: earlier } : {}) }, null, 2)}\n`);
      } else {
        process.stdout.write(
          `${results.length} photo(s), ${counts.failed} unreadable, ${counts.delivered} delivered, ${counts.duplicate} already in the album, ${counts.refused} refused, ${counts.queued} queued for retry.\n`,
        );
        if (counts.refused) process.stdout.write('Refused deliveries are final (the album said no: unknown account, or no face of its owner); see the lines above.\n');
        if (counts.queued) process.stdout.write('Queued photos are retried on the next `facedrop share` run, or continuously by `facedrop serve`.\n');
      }
      // A refusal is final, like an unreadable file: the run did not do all it was asked.
      if (counts.failed > 0 || counts.refused > 0) process.exitCode = 1;
    });
}

/** Per outcome, how many deliveries; `failed`: photos that could not be read. */
function countOutcomes(results: PhotoResult[]): { failed: number; delivered: number; duplicate: number; refused: number; queued: number } {
  const deliveries = results.flatMap((r) => r.deliveries ?? []);
  const count = (kind: string) => deliveries.filter((d) => d.outcome === kind).length;
  return { failed: results.filter((r) => !r.ok).length, delivered: count('delivered'), duplicate: count('duplicate'), refused: count('refused'), queued: count('queued') };
}

/**
 * A group named with --group must have members: a typo would otherwise match nobody and exit 0. The
 * default group may be empty (a first run), and says so.
 */
async function checkGroup(terminal: Terminal, group: string, named: boolean): Promise<void> {
  if ((await terminal.contacts.list(group)).length > 0) return;
  const groups = (await terminal.contacts.groups()).filter((g) => g !== group);
  const known = groups.length ? ` (known groups: ${groups.join(', ')})` : '';
  if (named) fail(`no members in group "${group}"${known}; add one with \`facedrop contacts add --group ${group} ...\``);
  process.stderr.write(`facedrop: group "${group}" has no members yet, so nobody can match${known}; add one with \`facedrop contacts add\`\n`);
}

/** `facedrop share --confirm` without paths: the open questions of earlier runs in the group, each delivered. */
async function confirmEarlier(group: string, json: boolean): Promise<void> {
  const confirmed = await withTerminal(async (terminal) => {
    const out: Array<UnsureEntry & { file: string }> = [];
    for (const q of await terminal.records.notices.openQuestions(group)) {
      const member = await terminal.contacts.get(group, q.memberId);
      out.push({ file: q.filename, name: member?.name ?? q.memberId, distance: Math.round(q.distance * 1000) / 1000, question: q.seq, ...(await confirmAnswer(terminal, q.seq, q.memberId)) });
    }
    return out;
  });
  if (json) process.stdout.write(`${JSON.stringify({ group, confirmed }, null, 2)}\n`);
  else {
    for (const c of confirmed) process.stdout.write(`✓ ${c.file}: ${c.name} (${c.distance}) confirmed: ${c.outcome}${c.detail ? `: ${c.detail}` : ''}\n`);
    process.stdout.write(`${confirmed.length} unsure face(s) confirmed.\n`);
  }
  if (confirmed.some((c) => c.outcome === 'refused')) process.exitCode = 1;
}
