// Consent-first membership, shared by every bot: consent on record before any face data, forgetting on
// request, on leaving and after inactivity, and a group's admin settings (pause, approval).
import type { Records } from '../records/index.ts';
import type { ConsentRecord, GroupSettings } from '../records/index.ts';
import type { Contact } from './book.ts';

/**
 * The version of the consent text the bots show (bots/shared/i18n holds the words, in every language). Change both
 * together: each consent record keeps the version the member agreed to.
 */
export const CONSENT_TEXT_VERSION = 'consent/2026-12-04';
/** From this text on, members agreed that faces matched with confidence or confirmed are kept as references. */
export const LEARNING_CONSENT_VERSION = 'consent/2026-12-04';

export const DAY_MS = 24 * 60 * 60_000;
/** How long before an inactive entry is forgotten its member is warned. */
export const RETENTION_WARNING_MS = 7 * DAY_MS;

export type ForgetReason = 'forget' | 'left' | 'retention' | 'removed_by_admin' | 'refused';

export class Membership {
  constructor(
    readonly records: Pick<Records, 'contacts' | 'consents' | 'notices'>,
    /** The clock (tests set it). */
    readonly now: () => number = Date.now,
  ) {}

  /** Records that `userKey` agreed, for `subjectKey`'s face (their own or a dependent's), in `group`. */
  consent(userKey: string, group: string, subjectKey: string = userKey): Promise<ConsentRecord> {
    return this.records.consents.give({ userKey, group, subjectKey, textVersion: CONSENT_TEXT_VERSION, givenAt: this.now() });
  }

  /** The consent in force for this face in this group. */
  consentOf(group: string, subjectKey: string): Promise<ConsentRecord | undefined> {
    return this.records.consents.current(group, subjectKey);
  }

  history(userKey: string): Promise<ConsentRecord[]> {
    return this.records.consents.history(userKey);
  }

  /**
   * Deletes a face's entry in one group (descriptors included) and marks its consent withdrawn; the
   * consent record keeps only who, where, the text version and the two times. Returns the removed entry.
   */
  async forget(group: string, subjectKey: string, reason: ForgetReason): Promise<Contact | undefined> {
    const removed = await this.records.contacts.remove(group, subjectKey);
    // What notices kept of the face there (sightings: descriptors, thumbnails, open questions) goes too.
    await this.records.notices.forgetMember(group, subjectKey);
    await this.records.consents.withdraw(group, subjectKey, this.now(), reason);
    await this.records.consents.deleteRegistrationsOf(subjectKey, group);
    return removed;
  }

  /**
   * Forgets a user in every group whose key starts with `groupPrefix` (one platform), with the dependents
   * they registered there. Returns the entries removed.
   */
  async forgetEverywhere(userKey: string, groupPrefix: string, reason: ForgetReason): Promise<Contact[]> {
    const removed: Contact[] = [];
    for (const group of await this.groupsOf(userKey, groupPrefix)) {
      const gone = await this.forget(group, userKey, reason);
      if (gone) removed.push(gone);
    }
    await this.records.consents.deleteRegistrationsOf(userKey);
    return removed;
  }

  /**
   * A member left the group (or was removed): their entry there goes. A dependent they hold there goes too,
   * unless they were its second guardian: then only their album stops receiving its photos.
   */
  async left(group: string, userKey: string): Promise<Contact[]> {
    const removed: Contact[] = [];
    const own = await this.forget(group, userKey, 'left');
    if (own) removed.push(own);
    for (const d of await this.records.consents.guardianOf(userKey)) {
      if (d.group !== group) continue;
      const entry = (await this.records.contacts.list(group)).find((c) => c.id === d.id);
      if (entry?.guardians?.some((g) => g.key === userKey)) {
        await this.records.contacts.removeGuardian(group, d.id, userKey);
        await this.records.consents.withdrawBy(group, d.id, userKey, this.now(), 'left');
        removed.push(entry);
        continue;
      }
      const gone = await this.forget(group, d.id, 'left');
      if (gone) removed.push(gone);
    }
    await this.records.consents.deleteRegistrationsOf(userKey, group);
    return removed;
  }

  /** Groups (of one platform) where the user has an entry or a consent in force. */
  async groupsOf(userKey: string, groupPrefix: string): Promise<string[]> {
    const groups = new Set<string>();
    for (const c of await this.records.consents.history(userKey)) if (c.subjectKey === userKey && c.withdrawnAt === undefined) groups.add(c.group);
    for (const g of await this.records.contacts.groups()) {
      if ((await this.records.contacts.list(g)).some((c) => c.id === userKey)) groups.add(g);
    }
    return [...groups].filter((g) => g.startsWith(groupPrefix));
  }

  /** The dependents a guardian holds (entries and groups). */
  dependentsOf(guardianKey: string): Promise<Array<{ group: string; id: string }>> {
    return this.records.consents.guardianOf(guardianKey);
  }

  settings(group: string): Promise<GroupSettings> {
    return this.records.consents.settings(group);
  }

  setSettings(group: string, change: Partial<GroupSettings>): Promise<GroupSettings> {
    return this.records.consents.setSettings(group, change);
  }

  approve(group: string, contactId: string): Promise<boolean> {
    return this.records.contacts.approve(group, contactId);
  }

  /** A command from the member: their entries, and their dependents', stay for another retention period. */
  async touch(userKey: string): Promise<void> {
    const now = this.now();
    await this.records.consents.touchUser(userKey, now);
    for (const d of await this.records.consents.guardianOf(userKey)) await this.records.consents.touch(d.group, d.id, now);
  }

  /** Who is told about an entry: the member, or for a dependent the guardian who agreed. */
  async answerableFor(subjectKey: string): Promise<string> {
    const [latest] = await this.records.consents.history(subjectKey);
    return latest && latest.subjectKey === subjectKey ? latest.userKey : subjectKey;
  }

  /**
   * One retention pass: entries inactive for `retentionDays` are forgotten if they were warned at least a
   * week ago; entries inactive for `retentionDays` minus a week are warned (once). `warn` and `forgotten`
   * tell the member; a warning that cannot be delivered still counts (the entry goes a week later).
   */
  async sweep(
    retentionDays: number,
    tell: {
      /** Only groups whose key starts so (one bot's platform). */
      groupPrefix: string;
      warn: (entry: { group: string; id: string; name: string; forgetAt: number }) => Promise<void>;
      forgotten: (entry: { group: string; id: string; name: string }) => Promise<void>;
    },
  ): Promise<{ warned: number; forgotten: number }> {
    const now = this.now();
    const limit = retentionDays * DAY_MS;
    let warned = 0;
    let forgotten = 0;
    for (const e of await this.records.consents.inactive(now - limit + RETENTION_WARNING_MS)) {
      if (!e.group.startsWith(tell.groupPrefix)) continue;
      if (e.warnedAt === undefined) {
        await this.records.consents.markWarned(e.group, e.id, now);
        await tell.warn({ group: e.group, id: e.id, name: e.name, forgetAt: Math.max(now + RETENTION_WARNING_MS, e.activeAt + limit) }).catch(() => {});
        warned++;
      } else if (e.activeAt <= now - limit && e.warnedAt <= now - RETENTION_WARNING_MS) {
        await this.forget(e.group, e.id, 'retention');
        await tell.forgotten({ group: e.group, id: e.id, name: e.name }).catch(() => {});
        forgotten++;
      }
    }
    await this.records.consents.deleteExpiredRegistrations(now);
    return { warned, forgotten };
  }
}
