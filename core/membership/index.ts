// One chat-agnostic membership service both bots use: registration (registration.ts), forgetting with the
// release of the album's faces, activity, retention, group settings and the privacy report. It returns
// codes and data; the bots word them (bots/shared/i18n).
import type { Contact } from '../contacts/index.ts';
import { Membership, type ForgetReason } from '../contacts/consent.ts';
import { AlbumDeletionPending, type Members } from '../members.ts';
import type { GroupSettings } from '../records/index.ts';
import type { Terminal } from '../terminal.ts';
import { RegistrationFlow } from './registration.ts';
import type { FaceRelease, PrivacyReport } from './types.ts';

export * from './types.ts';
export { MAX_PICK, newToken, refusalOf, RegistrationFlow } from './registration.ts';
export { DAY_MS, type ForgetReason } from '../contacts/consent.ts';

/** A chat user's own key ("tg:123", "dc:456"): a dependent's ("tg:dep:…") has no chat to be told in. */
export const isChatUser = (key: string) => /^[a-z]+:\d+$/.test(key);

export interface RetentionTell {
  /** Only groups whose key starts so (one bot's platform). */
  groupPrefix: string;
  /** `tellKey` is who answers for the entry: the member, or a dependent's guardian. */
  warn: (entry: { group: string; tellKey: string; daysLeft: number }) => Promise<void>;
  forgotten: (entry: { group: string; tellKey: string; release: FaceRelease }) => Promise<void>;
}

export class MembershipService {
  readonly registration: RegistrationFlow;
  readonly #membership: Membership;

  constructor(
    private readonly terminal: Terminal,
    private readonly members: Members,
    options: { builtInAlbum: string; retentionDays: number; now?: () => number },
  ) {
    this.#membership = new Membership(terminal.records, options.now);
    this.registration = new RegistrationFlow(terminal, members, this.#membership, options.builtInAlbum);
    this.retentionDays = options.retentionDays;
  }

  readonly retentionDays: number;

  now(): number {
    return this.#membership.now();
  }

  /** A command from the member: their entries and their dependents' stay for another retention period. */
  touch(userKey: string): Promise<void> {
    return this.#membership.touch(userKey);
  }

  list(group: string): Promise<Contact[]> {
    return this.members.list(group);
  }

  async isRegistered(group: string, userKey: string): Promise<boolean> {
    return (await this.members.list(group)).some((c) => c.id === userKey);
  }

  settings(group: string): Promise<GroupSettings> {
    return this.#membership.settings(group);
  }

  setSettings(group: string, change: Partial<GroupSettings>): Promise<GroupSettings> {
    return this.#membership.setSettings(group, change);
  }

  /** Approval mode: the entry matches from now on. The approved entry, or undefined when it is gone. */
  async approve(group: string, contactId: string): Promise<Contact | undefined> {
    if (!(await this.#membership.approve(group, contactId))) return undefined;
    return (await this.members.list(group)).find((c) => c.id === contactId);
  }

  /** Where the member agreed, newest first (at most 10): for /privacy. */
  async privacyReport(userKey: string): Promise<PrivacyReport> {
    const history = await this.#membership.history(userKey);
    return {
      retentionDays: this.retentionDays,
      consents: history.slice(0, 10).map((c) => ({ group: c.group, givenAt: c.givenAt, textVersion: c.textVersion, ...(c.withdrawnAt !== undefined ? { withdrawnAt: c.withdrawnAt } : {}) })),
    };
  }

  /** Forgets the member in one group; then the album's faces go if nothing of theirs is left. */
  async forgetHere(group: string, userKey: string, reason: ForgetReason = 'forget'): Promise<{ removed: Contact | undefined; release: FaceRelease }> {
    const removed = await this.#membership.forget(group, userKey, reason);
    return { removed, release: await this.releaseAlbumFaces(userKey) };
  }

  /** Forgets the member in every group of one platform (`groupPrefix`), with what they registered there. */
  async forgetEverywhere(userKey: string, groupPrefix: string): Promise<{ removed: Contact[]; release: FaceRelease }> {
    const removed = await this.#membership.forgetEverywhere(userKey, groupPrefix, 'forget');
    return { removed, release: await this.releaseAlbumFaces(userKey) };
  }

  /** Withdraws consents only (`/forget album`: the album deletion that follows takes the faces along). */
  async withdrawEverywhere(userKey: string, groupPrefix: string): Promise<void> {
    await this.#membership.forgetEverywhere(userKey, groupPrefix, 'forget');
  }

  /** `/forget child <name>`: the guardian's dependents of that name, in every group. How many entries went. */
  async forgetDependent(guardianKey: string, name: string): Promise<number> {
    const wanted = name.trim().toLowerCase();
    let removed = 0;
    for (const d of await this.#membership.dependentsOf(guardianKey)) {
      const contact = (await this.members.list(d.group)).find((c) => c.id === d.id);
      if (contact && contact.name.toLowerCase() === wanted && (await this.#membership.forget(d.group, d.id, 'forget'))) removed++;
    }
    return removed;
  }

  /** An admin removed an entry. */
  async removeByAdmin(group: string, contactId: string): Promise<{ removed: Contact | undefined; release: FaceRelease }> {
    return this.forgetHere(group, contactId, 'removed_by_admin');
  }

  /** The member left the group (or was removed from it): their entry and the dependents they hold there go. */
  async left(group: string, userKey: string): Promise<{ removed: Contact[]; release: FaceRelease }> {
    const removed = await this.#membership.left(group, userKey);
    return { removed, release: removed.length ? await this.releaseAlbumFaces(userKey) : { kind: 'kept' } };
  }

  /** Groups (of one platform) where the user has an entry or a consent in force. */
  groupsOf(userKey: string, groupPrefix: string): Promise<string[]> {
    return this.#membership.groupsOf(userKey, groupPrefix);
  }

  /**
   * The user's album keeps their reference faces only while some entry of theirs (or a dependent's) still
   * uses them; then the album is asked to delete them (its photos stay). A failure is never reported as done.
   */
  async releaseAlbumFaces(userKey: string): Promise<FaceRelease> {
    if (!isChatUser(userKey)) return { kind: 'kept' };
    if ((await this.#membership.groupsOf(userKey, '')).length > 0 || (await this.#membership.dependentsOf(userKey)).length > 0) return { kind: 'kept' };
    try {
      return (await this.members.forgetAlbumFaces(userKey)) ? { kind: 'released' } : { kind: 'none' };
    } catch (error) {
      if (error instanceof AlbumDeletionPending) return { kind: 'pending', error };
      return { kind: 'refused', error };
    }
  }

  /**
   * One retention pass over one platform's groups: inactive entries are warned a week ahead, then forgotten
   * (and the album's faces released). `tell` words it for the member, or for a dependent's guardian.
   */
  sweep(tell: RetentionTell): Promise<{ warned: number; forgotten: number }> {
    return this.#membership.sweep(this.retentionDays, {
      groupPrefix: tell.groupPrefix,
      warn: async (e) => tell.warn({ group: e.group, tellKey: await this.#membership.answerableFor(e.id), daysLeft: Math.max(1, Math.round((e.forgetAt - this.now()) / (24 * 60 * 60_000))) }),
      forgotten: async (e) => {
        const release = await this.releaseAlbumFaces(e.id);
        await tell.forgotten({ group: e.group, tellKey: await this.#membership.answerableFor(e.id), release });
      },
    });
  }
}
