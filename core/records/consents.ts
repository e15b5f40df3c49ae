import { randomUUID } from 'node:crypto';
import type { Db } from './db.ts';

/** A member's consent to face matching in one group: kept after withdrawal (fact and times, no face data). */
export interface ConsentRecord {
  id: string;
  /** Who agreed: the member, or the guardian of a dependent. */
  userKey: string;
  group: string;
  /** Whose face: the member themself, or a dependent's key. */
  subjectKey: string;
  /** Which version of the consent text was shown. */
  textVersion: string;
  givenAt: number;
  withdrawnAt?: number;
  withdrawnReason?: string;
}

export interface GroupSettings {
  paused: boolean;
  approval: boolean;
}

/** A registration under way (deep link, consent, selfie, face pick): never a descriptor or an image. */
export interface PendingRegistration<D = Record<string, unknown>> {
  token: string;
  userKey: string;
  group: string;
  kind: string;
  state: string;
  data: D;
  createdAt: number;
  expiresAt: number;
}

interface ConsentRow {
  id: string;
  user_key: string;
  grp: string;
  subject_key: string;
  text_version: string;
  given_at: number;
  withdrawn_at: number | null;
  withdrawn_reason: string | null;
}

interface RegistrationRow {
  token: string;
  user_key: string;
  grp: string;
  kind: string;
  state: string;
  data: string;
  created_at: number;
  expires_at: number;
}

/** Consent records, per-group settings (pause, approval), pending registrations and member activity. */
export class ConsentRepository {
  constructor(private readonly db: Db) {}

  async give(consent: Omit<ConsentRecord, 'id' | 'withdrawnAt' | 'withdrawnReason'>): Promise<ConsentRecord> {
    const record = { id: randomUUID(), ...consent };
    await this.db.run(
      'INSERT INTO consents (id, user_key, grp, subject_key, text_version, given_at) VALUES (?, ?, ?, ?, ?, ?)',
      record.id,
      record.userKey,
      record.group,
      record.subjectKey,
      record.textVersion,
      record.givenAt,
    );
    return record;
  }

  /** The consent in force for this subject in this group, if any. */
  async current(group: string, subjectKey: string): Promise<ConsentRecord | undefined> {
    const row = await this.db.get<ConsentRow>('SELECT * FROM consents WHERE grp = ? AND subject_key = ? AND withdrawn_at IS NULL ORDER BY given_at DESC', group, subjectKey);
    return row ? toConsent(row) : undefined;
  }

  /** Every consent record of a user (as the one who agreed or as the subject), newest first. */
  async history(userKey: string): Promise<ConsentRecord[]> {
    return (await this.db.all<ConsentRow>('SELECT * FROM consents WHERE user_key = ? OR subject_key = ? ORDER BY given_at DESC', userKey, userKey)).map(toConsent);
  }

  /** Marks the subject's consents in force in the group as withdrawn. Returns how many. */
  async withdraw(group: string, subjectKey: string, at: number, reason: string): Promise<number> {
    return this.db.run('UPDATE consents SET withdrawn_at = ?, withdrawn_reason = ? WHERE grp = ? AND subject_key = ? AND withdrawn_at IS NULL', at, reason, group, subjectKey);
  }

  /** Withdraws one agreeing user's consent for a subject (a second guardian who left). */
  async withdrawBy(group: string, subjectKey: string, userKey: string, at: number, reason: string): Promise<number> {
    return this.db.run(
      'UPDATE consents SET withdrawn_at = ?, withdrawn_reason = ? WHERE grp = ? AND subject_key = ? AND user_key = ? AND withdrawn_at IS NULL',
      at,
      reason,
      group,
      subjectKey,
      userKey,
    );
  }

  async settings(group: string): Promise<GroupSettings> {
    const row = await this.db.get<{ paused: number; approval: number }>('SELECT paused, approval FROM group_settings WHERE grp = ?', group);
    return { paused: row?.paused === 1, approval: row?.approval === 1 };
  }

  async setSettings(group: string, change: Partial<GroupSettings>): Promise<GroupSettings> {
    const next = { ...(await this.settings(group)), ...change };
    await this.db.run(
      'INSERT INTO group_settings (grp, paused, approval) VALUES (?, ?, ?) ON CONFLICT (grp) DO UPDATE SET paused = excluded.paused, approval = excluded.approval',
      group,
      next.paused ? 1 : 0,
      next.approval ? 1 : 0,
    );
    // Matching caches galleries by the group's version: a pause must be seen at once.
    await this.db.run('INSERT INTO contact_groups (grp, version) VALUES (?, 1) ON CONFLICT (grp) DO UPDATE SET version = contact_groups.version + 1', group);
    return next;
  }

  async putRegistration<D>(registration: PendingRegistration<D>): Promise<void> {
    await this.db.run(
      `INSERT INTO registrations (token, user_key, grp, kind, state, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (token) DO UPDATE SET state = excluded.state, data = excluded.data, expires_at = excluded.expires_at`,
      registration.token,
      registration.userKey,
      registration.group,
      registration.kind,
      registration.state,
      JSON.stringify(registration.data),
      registration.createdAt,
      registration.expiresAt,
    );
  }

  async registration<D>(token: string, now: number): Promise<PendingRegistration<D> | undefined> {
    const row = await this.db.get<RegistrationRow>('SELECT * FROM registrations WHERE token = ? AND expires_at > ?', token, now);
    return row ? toRegistration<D>(row) : undefined;
  }

  /** The user's newest registration in one of these states, not expired. */
  async latestRegistration<D>(userKey: string, states: string[], now: number): Promise<PendingRegistration<D> | undefined> {
    const rows = await this.db.all<RegistrationRow>('SELECT * FROM registrations WHERE user_key = ? AND expires_at > ? ORDER BY created_at DESC', userKey, now);
    const row = rows.find((r) => states.includes(r.state));
    return row ? toRegistration<D>(row) : undefined;
  }

  async deleteRegistration(token: string): Promise<void> {
    await this.db.run('DELETE FROM registrations WHERE token = ?', token);
  }

  /** Drops a user's registrations under way (all of them, or those of one group). */
  async deleteRegistrationsOf(userKey: string, group?: string): Promise<number> {
    return group === undefined ? this.db.run('DELETE FROM registrations WHERE user_key = ?', userKey) : this.db.run('DELETE FROM registrations WHERE user_key = ? AND grp = ?', userKey, group);
  }

  async deleteExpiredRegistrations(now: number): Promise<number> {
    return this.db.run('DELETE FROM registrations WHERE expires_at <= ?', now);
  }

  /** The member did something (a command, a delivered photo): the retention clock starts again. */
  async touch(group: string, contactId: string, at: number): Promise<void> {
    await this.db.run('UPDATE contacts SET active_at = ?, retention_warned_at = NULL WHERE grp = ? AND id = ?', at, group, contactId);
  }

  /** Touches every entry of a member (or of a guardian's dependents) across groups. */
  async touchUser(userKey: string, at: number): Promise<void> {
    await this.db.run('UPDATE contacts SET active_at = ?, retention_warned_at = NULL WHERE id = ?', at, userKey);
  }

  /** Entries last active before `before`: to warn (not yet warned) or to forget (warned before `warnedBefore`). */
  async inactive(before: number): Promise<Array<{ group: string; id: string; name: string; activeAt: number; warnedAt?: number }>> {
    return (
      await this.db.all<{ grp: string; id: string; name: string; active_at: number | null; added_at: string; retention_warned_at: number | null }>(
        'SELECT grp, id, name, active_at, added_at, retention_warned_at FROM contacts WHERE active_at IS NULL OR active_at < ?',
        before,
      )
    )
      .map((r) => ({ group: r.grp, id: r.id, name: r.name, activeAt: r.active_at ?? (Date.parse(r.added_at) || 0), ...(r.retention_warned_at !== null ? { warnedAt: r.retention_warned_at } : {}) }))
      .filter((r) => r.activeAt < before);
  }

  async markWarned(group: string, contactId: string, at: number): Promise<void> {
    await this.db.run('UPDATE contacts SET retention_warned_at = ? WHERE grp = ? AND id = ?', at, group, contactId);
  }

  /** Dependents a guardian holds: contact entries whose first album is theirs or that list them as guardian. */
  async guardianOf(guardianKey: string): Promise<Array<{ group: string; id: string }>> {
    return (
      await this.db.all<{ grp: string; id: string }>(
      `SELECT c.grp, c.subject_key AS id FROM consents c WHERE c.user_key = ? AND c.subject_key <> c.user_key AND c.withdrawn_at IS NULL
       UNION SELECT g.grp, g.contact_id AS id FROM guardians g WHERE g.guardian_key = ?`,
      guardianKey,
      guardianKey,
    )
    ).map((r) => ({ group: r.grp, id: r.id }));
  }
}

function toConsent(row: ConsentRow): ConsentRecord {
  return {
    id: row.id,
    userKey: row.user_key,
    group: row.grp,
    subjectKey: row.subject_key,
    textVersion: row.text_version,
    givenAt: row.given_at,
    ...(row.withdrawn_at !== null ? { withdrawnAt: row.withdrawn_at } : {}),
    ...(row.withdrawn_reason !== null ? { withdrawnReason: row.withdrawn_reason } : {}),
  };
}

function toRegistration<D>(row: RegistrationRow): PendingRegistration<D> {
  return { token: row.token, userKey: row.user_key, group: row.grp, kind: row.kind, state: row.state, data: JSON.parse(row.data) as D, createdAt: row.created_at, expiresAt: row.expires_at };
}
