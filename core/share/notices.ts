// Members hear about their photos and answer back: batched private notices, "not me", "is this you?".
// Chat-agnostic: the bots send what is queued here (bots/shared/notices.ts) and bring the answers back.
import type { ContactBook } from '../contacts/index.ts';
import { noticeQueue, type FinalOutcome, type NoticeTiming, type Packet, type Records } from '../records/index.ts';
import { AlbumApiError, AlbumHttpError, reportNotMe } from './album-client.ts';
import { GAVE_UP, type DeliveryOutcome, type Outbox } from './outbox.ts';

/** The album's answer to a face its owner said is not them (album/README.md). */
export const REJECTED_BY_OWNER = 'rejected_by_owner';

/** Defaults: one notice a few minutes after the first new photo, then at most one an hour. */
export const DEFAULT_NOTICE_TIMING = { delayMs: 3 * 60_000, digestIntervalMs: 3_600_000 } as const satisfies NoticeTiming;

/** The notice job that tells a member a photo of them was given up (OUTBOX_GIVE_UP_DAYS). */
export const GAVE_UP_NOTICE = 'gave-up';

/** Chat users have platform-qualified keys ("tg:123", "dc:456"): they can be told and asked privately. */
export const isChatMember = (memberId: string) => /^[a-z]+:[^:]/.test(memberId);

export type NotMeResult = 'removed' | 'recorded' | 'album_unreachable' | 'already' | 'not_yours';
export type AnswerResult = { kind: 'delivered' | 'refused' | 'queued'; outcome: DeliveryOutcome } | { kind: 'no' | 'already' | 'not_yours' | 'gone' };

export class MemberNotices {
  constructor(
    private readonly o: {
      records: Records;
      contacts: ContactBook;
      outbox: Outbox;
      timing: NoticeTiming;
      now?: () => number;
      /** A member confirmed a face: it may become one of their references (core/share/learning.ts). */
      onConfirmed?: (group: string, memberId: string, sha256: string, face: { descriptor: number[] }) => Promise<void>;
    },
  ) {}

  get #now(): number {
    return (this.o.now ?? Date.now)();
  }

  /**
   * After a packet's delivery ended: a photo that reached a chat member's album joins their next notice; an
   * album's "rejected by its owner" makes the face a negative example here too, so it is not sent again.
   */
  async afterFinal(packet: Packet, outcome: FinalOutcome): Promise<void> {
    if (!packet.memberId || packet.group === undefined) return;
    const notices = this.o.records.notices;
    const sighting = await notices.findSighting(packet.group, packet.memberId, packet.sha256);
    if (!sighting) return;
    if (outcome.kind === 'delivered' && sighting.kind === 'delivered' && isChatMember(packet.memberId)) {
      await notices.addNoticeItem(packet.memberId, sighting.seq, 'photo', this.o.timing, this.#now);
    }
    if (outcome.kind === 'refused' && outcome.code === REJECTED_BY_OWNER) {
      await notices.answer(sighting.seq, 'not_me', 'album', this.#now);
      await this.o.records.contacts.forgetLearned(packet.group, packet.memberId, packet.sha256);
    }
    // Told privately by the bot's notice worker (bots/shared/notices.ts), with the photo's thumbnail.
    if (outcome.kind === 'refused' && outcome.code === GAVE_UP && isChatMember(packet.memberId)) {
      await this.o.records.jobs.enqueue({ id: `gave-up:${packet.id}`, queue: noticeQueue(packet.memberId), kind: GAVE_UP_NOTICE, payload: { userKey: packet.memberId, sighting: sighting.seq } });
    }
  }

  /**
   * Queues "is this you?" in the member's next notice (none for `/notify off`); a dependent's question goes to
   * their guardians ("is this <name>?"): young children's photos are confirmed by them (core/match/age.ts).
   */
  async ask(memberId: string, sighting: number): Promise<void> {
    const seen = await this.o.records.notices.sighting(sighting);
    const askees = seen ? await this.answerers(seen.group, memberId) : [memberId];
    for (const key of askees) await this.o.records.notices.addNoticeItem(key, sighting, 'question', this.o.timing, this.#now);
  }

  /** Who answers for a member: the member, or for a dependent each guardian (the one who agreed, and any added). */
  async answerers(group: string, memberId: string): Promise<string[]> {
    const keys = new Set<string>();
    for (const c of await this.o.records.consents.history(memberId)) {
      if (c.subjectKey === memberId && c.userKey !== memberId && c.group === group && c.withdrawnAt === undefined) keys.add(c.userKey);
    }
    for (const g of (await this.o.contacts.get(group, memberId))?.guardians ?? []) keys.add(g.key);
    return keys.size > 0 ? [...keys] : [memberId];
  }

  /**
   * "Not me" from a notice: the face becomes a negative example of the member, and the photo leaves their
   * album when this terminal holds its link (the album then refuses faces that close to it too).
   */
  async notMe(sightingSeq: number, memberId: string): Promise<NotMeResult> {
    const { notices, members } = this.o.records;
    const sighting = await notices.sighting(sightingSeq);
    if (!sighting || sighting.memberId !== memberId) return 'not_yours';
    if (!(await notices.answer(sightingSeq, 'not_me', 'notice', this.#now))) return 'already';
    // A face learned from this photo goes, and whatever was learned through it.
    await this.o.records.contacts.forgetLearned(sighting.group, memberId, sighting.sha256);
    const link = await members.link(memberId);
    if (!link?.token) return 'recorded';
    try {
      await reportNotMe(link.album, link.token, sighting.sha256);
      return 'removed';
    } catch (error) {
      if (error instanceof AlbumApiError && error.status === 404) return 'removed';
      if (error instanceof AlbumApiError || error instanceof AlbumHttpError) return 'album_unreachable';
      throw error;
    }
  }

  /** The answer to "is this you?": yes delivers the photo through the album's normal check; no records a negative. */
  async answer(sightingSeq: number, memberId: string, yes: boolean): Promise<AnswerResult> {
    const { notices } = this.o.records;
    const sighting = await notices.sighting(sightingSeq);
    if (!sighting || sighting.kind !== 'unsure') return { kind: 'not_yours' };
    if (sighting.memberId !== memberId && !(await this.answerers(sighting.group, sighting.memberId)).includes(memberId)) return { kind: 'not_yours' };
    if (!yes) {
      const first = await notices.answer(sightingSeq, 'no', 'question', this.#now);
      await notices.dropUnsurePicture(sighting.sha256);
      return { kind: first ? 'no' : 'already' };
    }
    const member = await this.o.contacts.get(sighting.group, sighting.memberId);
    const picture = await notices.unsurePicture(sighting.sha256);
    if (!member || !picture) return { kind: 'gone' };
    if (!(await notices.answer(sightingSeq, 'yes', 'question', this.#now))) return { kind: 'already' };
    // As the share pipeline sends a match: the member's album, and a dependent's further guardians' albums.
    const recipients = [{ album: member.album, username: member.username, untrusted: Boolean(member.untrustedAlbum) }, ...(member.guardians ?? []).map((g) => ({ ...g, untrusted: true }))];
    const packets = [];
    for (const to of recipients) {
      packets.push(
        await this.o.outbox.enqueue({
          album: to.album,
          username: to.username,
          picture,
          filename: sighting.filename,
          group: sighting.group,
          memberId: sighting.memberId,
          ...(to.untrusted ? { untrusted: true } : {}),
        }),
      );
    }
    await notices.dropUnsurePicture(sighting.sha256);
    const [outcome] = await Promise.all(packets.map((p) => this.o.outbox.attempt(p.id)));
    // Confirmed: the face teaches the terminal (unless the album refused it).
    if (outcome!.kind !== 'refused') await this.o.onConfirmed?.(sighting.group, sighting.memberId, sighting.sha256, { descriptor: sighting.descriptor });
    return { kind: outcome!.kind === 'duplicate' ? 'delivered' : outcome!.kind, outcome: outcome! };
  }
}
