// Private notices, shared by both bots: a durable job per member and batch (core/records/notices.ts) is
// turned into one private message (a contact sheet of the new photos, their count and groups, the album
// link, a "not me" button per photo) and one "is this you?" message per question. The platform adapters only
// send; wording and answers live here, so the two bots cannot drift apart.
import type { Job } from '../../core/jobs/queue.ts';
import { JobWorker } from '../../core/jobs/worker.ts';
import { NOTICE_MODES, noticeQueue, type NoticeItem, type NoticeMode } from '../../core/ports.ts';
import { contactSheet, GAVE_UP_NOTICE } from '../../core/share/index.ts';
import { ALBUM_DELETION, ALBUM_DELETION_GIVE_UP_MS, albumDeletionJob, deleteAlbumOfLink, type AlbumDeletionPayload } from '../../core/members.ts';
import { AlbumApiError } from '../../core/share/index.ts';
import type { Terminal } from '../../core/terminal.ts';
import { en, type Catalogue } from './i18n/en.ts';

export interface NoticeButton {
  label: string;
  /** Short enough for Telegram's 64-byte callback_data and Discord's custom_id: `nm:<n>`, `yes:<n>`, `no:<n>`. */
  data: string;
}

/** One private message: a picture (or, for a plain message, none), its text, rows of buttons. */
export interface PrivateMessage {
  image?: Buffer;
  imageName: string;
  text: string;
  buttons: NoticeButton[][];
}

export interface NoticePlatform {
  /** The user-key prefix of this platform's members ("tg", "dc"). */
  prefix: string;
  /** Sends privately; 'unreachable' when the member never opened a private chat (or closed it): not retried. */
  send(userKey: string, message: PrivateMessage): Promise<'sent' | 'unreachable'>;
}

/** A notice's "not me" buttons: one per photo, numbered as on the contact sheet; past this, only the album link. */
const MAX_NOT_ME_BUTTONS = 12;

export const noticeTexts = {
  photos: (count: number, groups: string[], link: string | undefined) =>
    [
      `📸 ${count === 1 ? 'A new photo' : `${count} new photos`} of you from ${joinNames(groups)}.`,
      link ? `Your album: ${link}` : 'They are in your album.',
      count === 1 ? 'Not you? Press "Not me" and it leaves your album.' : 'Not you on one of them? Press "Not me" with its number and it leaves your album.',
      'Change how often I tell you: /notify instant, digest, daily or off.',
    ].join('\n'),
  question: (group: string) => `🤔 Is this you? A photo posted in ${group} may show you, but I am not sure. If it is you, it goes to your album; if not, I remember.`,
  /** To a guardian: young children look too alike for me to send their photos on my own. */
  questionAbout: (name: string, group: string) =>
    `🤔 Is this ${name}? A photo posted in ${group} may show ${name}. Young children's faces look too alike for me to be sure, so I send their photos only when you say yes. If it is ${name}, it goes to the album; if not, I remember.`,
  yesItIs: (name: string | undefined) => (name ? `✅ Yes, it is ${name}` : '✅ Yes, it is me'),
  notify: (mode: NoticeMode) => en.notifyMode(mode),
  albumDeleted: 'Your album is deleted now, with every photo in it (the album server answers again).',
  albumNotDeleted: (why: string) => `Your album could NOT be deleted: ${why}`,
  facesDeleted: 'Your face is deleted from your album now (the album server answers again); its photos stay.',
  facesNotDeleted: (why: string) => `Your face could NOT be deleted from your album: ${why}`,
  gaveUp: (group: string) =>
    `😕 This photo of you from ${group} could not reach your album: your album server did not take it for days, so I gave up and deleted my copy. Ask the person who posted it to send it again once your album works.`,
  notifyUsage: (mode: NoticeMode) => en.notifyUsage(mode),
};

function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? 'your group';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

/** `/notify [instant|digest|daily|off]`: the answer text. */
export async function notifyCommand(terminal: Terminal, userKey: string, args: string, t: Catalogue = en): Promise<string> {
  const wanted = args.trim().toLowerCase();
  if ((NOTICE_MODES as readonly string[]).includes(wanted)) {
    await terminal.records.notices.setMode(userKey, wanted as NoticeMode);
    return t.notifyMode(wanted);
  }
  return t.notifyUsage(await terminal.records.notices.mode(userKey));
}

/** A notice button pressed by `userKey`; undefined when the data is not a notice button's. */
export async function noticeButton(terminal: Terminal, userKey: string, data: string, t: Catalogue = en): Promise<string | undefined> {
  const m = /^(nm|yes|no):(\d{1,15})$/.exec(data);
  if (!m) return undefined;
  const seq = Number(m[2]);
  if (m[1] === 'nm') return t.notMe(await terminal.notices.notMe(seq, userKey));
  const result = await terminal.notices.answer(seq, userKey, m[1] === 'yes');
  return t.questionAnswered(result.kind);
}

/** The group's name as the bot saw it (falls back to "your group"). */
async function groupNames(terminal: Terminal, items: NoticeItem[]): Promise<string[]> {
  const names: string[] = [];
  for (const group of new Set(items.map((i) => i.sighting.group))) names.push((await terminal.records.notices.groupName(group)) ?? 'your group');
  return [...new Set(names)];
}

/** The messages of one batch: the photos' notice first, then each question. */
export async function composeNotice(terminal: Terminal, userKey: string, items: NoticeItem[], albumLink: (album: string, token: string) => string): Promise<PrivateMessage[]> {
  const out: PrivateMessage[] = [];
  // A photo the member already said is not them is left out.
  const photos = items.filter((i) => i.kind === 'photo' && i.sighting.state !== 'not_me');
  if (photos.length > 0) {
    const link = await terminal.records.members.link(userKey);
    const sheet = photos.length === 1 ? photos[0]!.sighting.thumb : await contactSheet(photos.map((p) => p.sighting.thumb));
    const buttons = photos.slice(0, MAX_NOT_ME_BUTTONS).map((p, i) => ({ label: photos.length === 1 ? '🙅 Not me' : `🙅 Not me: ${i + 1}`, data: `nm:${p.sighting.seq}` }));
    const rows: NoticeButton[][] = [];
    for (let i = 0; i < buttons.length; i += 4) rows.push(buttons.slice(i, i + 4));
    out.push({
      image: sheet,
      imageName: 'new-photos.jpg',
      text: noticeTexts.photos(photos.length, await groupNames(terminal, photos), link?.token ? albumLink(link.album, link.token) : undefined),
      buttons: rows,
    });
  }
  for (const q of items.filter((i) => i.kind === 'question' && i.sighting.state === 'open')) {
    const [group = 'your group'] = await groupNames(terminal, [q]);
    // A question about a dependent goes to their guardian, naming the child.
    const about = q.sighting.memberId === userKey ? undefined : (await terminal.contacts.get(q.sighting.group, q.sighting.memberId))?.name ?? 'your child';
    out.push({
      image: q.sighting.thumb,
      imageName: 'is-this-you.jpg',
      text: about ? noticeTexts.questionAbout(about, group) : noticeTexts.question(group),
      buttons: [[{ label: noticeTexts.yesItIs(about), data: `yes:${q.sighting.seq}` }, { label: '🙅 No', data: `no:${q.sighting.seq}` }]],
    });
  }
  return out;
}

/**
 * Runs the notice jobs of one platform's members: each batch is taken once (a job run again after a crash
 * sends the same batch), composed and sent privately. A member who never opened a private chat is skipped:
 * nothing is retried, nothing fails.
 */
type NoticeJob = { userKey: string; batch: number } | { userKey: string; sighting: number } | AlbumDeletionPayload;

export class NoticeSender {
  readonly #worker: JobWorker<NoticeJob>;

  constructor(
    private readonly o: {
      terminal: Terminal;
      platform: NoticePlatform;
      albumLink: (album: string, token: string) => string;
      onError: (error: unknown, final: boolean) => void;
      onUnreachable?: (userKey: string) => void;
      pollMs?: number;
    },
  ) {
    this.#worker = new JobWorker({
      jobs: o.terminal.records.jobs,
      queue: noticeQueue(`${o.platform.prefix}:`),
      concurrency: 2,
      pollMs: o.pollMs ?? 1000,
      maxAttempts: 6,
      run: (job) => this.#run(job),
      onError: (_job, error, final) => o.onError(error, final),
    });
  }

  start(): void {
    this.#worker.start();
  }

  stop(graceMs = 5000): Promise<void> {
    return this.#worker.stop(graceMs);
  }

  async #run(job: Job<NoticeJob>): Promise<void> {
    if (job.kind === GAVE_UP_NOTICE && 'sighting' in job.payload) return this.#gaveUp(job.payload);
    if (job.kind === ALBUM_DELETION && 'since' in job.payload) return this.#retryAlbumDeletion(job.payload);
    if (!('batch' in job.payload)) return;
    const { userKey, batch } = job.payload;
    const { terminal, platform } = this.o;
    const items = await terminal.records.notices.takeBatch(userKey, batch);
    // The mode may have changed to off after the items were queued.
    if ((await terminal.records.notices.mode(userKey)) !== 'off') {
      const messages = await composeNotice(terminal, userKey, items, this.o.albumLink);
      // Sent in order; a retry after a partial send may repeat the first message (less harmful than losing one).
      for (const message of messages) {
        if ((await platform.send(userKey, message)) === 'unreachable') {
          this.o.onUnreachable?.(userKey);
          break;
        }
      }
    }
    await terminal.records.notices.dropBatch(userKey, batch);
  }

  /** A packet was given up (OUTBOX_GIVE_UP_DAYS): the member hears of it once, whatever their /notify mode. */
  async #gaveUp({ userKey, sighting: seq }: { userKey: string; sighting: number }): Promise<void> {
    const { terminal, platform } = this.o;
    const sighting = await terminal.records.notices.sighting(seq);
    if (!sighting || sighting.memberId !== userKey) return; // forgotten meanwhile
    const [group = 'your group'] = await groupNames(terminal, [{ sighting } as NoticeItem]);
    if ((await platform.send(userKey, { image: sighting.thumb, imageName: 'not-delivered.jpg', text: noticeTexts.gaveUp(group), buttons: [] })) === 'unreachable') {
      this.o.onUnreachable?.(userKey);
    }
  }

  /** /forget album when the album did not answer: tried again (a new job each time) until done, refused or given up. */
  async #retryAlbumDeletion(job: AlbumDeletionPayload): Promise<void> {
    const { terminal, platform } = this.o;
    const what = job.what ?? 'album';
    const outcome = await deleteAlbumOfLink(terminal.records, job.userKey, what);
    let text: string;
    if (outcome.kind === 'none') return; // deleted meanwhile (another /forget album)
    if (outcome.kind === 'deleted') text = what === 'album' ? noticeTexts.albumDeleted : noticeTexts.facesDeleted;
    else if (outcome.kind === 'failed' || Date.now() - job.since > ALBUM_DELETION_GIVE_UP_MS) {
      const why = outcome.error instanceof AlbumApiError ? outcome.error.message : 'the album server has not answered for a week. Open your album page and delete it there.';
      text = what === 'album' ? noticeTexts.albumNotDeleted(why) : noticeTexts.facesNotDeleted(why);
    } else {
      await terminal.records.jobs.enqueue(albumDeletionJob(job.userKey, job.attempt + 1, job.since, Date.now(), what));
      return;
    }
    if ((await platform.send(job.userKey, { imageName: 'album.txt', text, buttons: [] })) === 'unreachable') this.o.onUnreachable?.(job.userKey);
  }
}
