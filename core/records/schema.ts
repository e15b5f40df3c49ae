export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Versioned schema migrations, applied in order, each once, inside one transaction with its version row.
 * Written in SQLite's DDL; PostgreSQL applies them through a small type mapping (db.ts, postgresDdl).
 * Never edit a released step: add the next one.
 */
export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'records and jobs',
    sql: `
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  queue TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  order_key TEXT,
  state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'failed')),
  run_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (queue, state, run_at);
CREATE INDEX jobs_order ON jobs (queue, order_key, seq);
CREATE INDEX jobs_owner ON jobs (lease_owner);
CREATE TABLE job_parts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  part_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  UNIQUE (job_id, part_id)
);

CREATE TABLE packets (
  id TEXT PRIMARY KEY,
  album TEXT NOT NULL,
  username TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  filename TEXT NOT NULL,
  grp TEXT,
  member_id TEXT,
  created_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'done')),
  outcome TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT
);
CREATE INDEX packets_state ON packets (state, sha256);
CREATE TABLE packet_pictures (sha256 TEXT PRIMARY KEY, bytes BLOB NOT NULL);

CREATE TABLE contact_groups (grp TEXT PRIMARY KEY, version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE contacts (
  grp TEXT NOT NULL,
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  album TEXT NOT NULL,
  username TEXT NOT NULL,
  descriptor_model TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (grp, id)
);
CREATE TABLE contact_faces (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  grp TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  descriptor TEXT NOT NULL
);
CREATE INDEX contact_faces_of ON contact_faces (grp, contact_id);
CREATE TABLE member_links (user_key TEXT PRIMARY KEY, album TEXT NOT NULL, username TEXT NOT NULL, token TEXT, album_url TEXT);
CREATE TABLE reminders (grp TEXT NOT NULL, contact_id TEXT NOT NULL, model TEXT NOT NULL, PRIMARY KEY (grp, contact_id, model));

CREATE TABLE accounts (
  username_key TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  created_at TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  descriptor_model TEXT NOT NULL
);
CREATE TABLE account_references (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  username_key TEXT NOT NULL,
  descriptor TEXT NOT NULL,
  box TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  added_at TEXT NOT NULL,
  kept_image_ext TEXT
);
CREATE INDEX account_references_of ON account_references (username_key);
CREATE TABLE album_photos (
  username_key TEXT NOT NULL,
  id TEXT NOT NULL,
  ext TEXT NOT NULL,
  mime TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  received_at TEXT NOT NULL,
  grp TEXT,
  terminal TEXT,
  face_box TEXT NOT NULL,
  distance REAL NOT NULL,
  PRIMARY KEY (username_key, id)
);
CREATE INDEX album_photos_newest ON album_photos (username_key, received_at DESC, id);
`,
  },
  {
    version: 2,
    name: 'album addresses typed by chat users',
    // Such addresses are checked when a packet connects (core/share/album-address.ts). Members registered from a
    // chat before this step (ids tg:... and dc:...) are marked too, with their queued packets: the built-in
    // album stays allowed whatever the mark.
    sql: `
ALTER TABLE contacts ADD COLUMN untrusted_album INTEGER NOT NULL DEFAULT 0;
ALTER TABLE packets ADD COLUMN untrusted INTEGER NOT NULL DEFAULT 0;
UPDATE contacts SET untrusted_album = 1 WHERE id LIKE 'tg:%' OR id LIKE 'dc:%';
UPDATE packets SET untrusted = 1 WHERE member_id LIKE 'tg:%' OR member_id LIKE 'dc:%';
`,
  },
  {
    version: 3,
    name: 'consent, group settings, guardians, pending registrations',
    // Consent rows are kept after a withdrawal (the fact and times only); no row here holds face data.
    // contacts.approved: 0 while an approval-mode group's admins have not approved the face;
    // contacts.active_at: last command or delivered photo (ms), for MEMBER_RETENTION_DAYS.
    sql: `
CREATE TABLE consents (
  id TEXT PRIMARY KEY,
  user_key TEXT NOT NULL,
  grp TEXT NOT NULL,
  subject_key TEXT NOT NULL,
  text_version TEXT NOT NULL,
  given_at BIGINT NOT NULL,
  withdrawn_at BIGINT,
  withdrawn_reason TEXT
);
CREATE INDEX consents_of ON consents (user_key, grp);
CREATE INDEX consents_subject ON consents (subject_key, grp);
CREATE TABLE group_settings (grp TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0, approval INTEGER NOT NULL DEFAULT 0);
ALTER TABLE contacts ADD COLUMN approved INTEGER NOT NULL DEFAULT 1;
ALTER TABLE contacts ADD COLUMN active_at BIGINT;
ALTER TABLE contacts ADD COLUMN retention_warned_at BIGINT;
UPDATE contacts SET active_at = (SELECT MAX(p.created_at) FROM packets p WHERE p.grp = contacts.grp AND p.member_id = contacts.id AND p.state = 'done');
CREATE TABLE guardians (
  grp TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  guardian_key TEXT NOT NULL,
  album TEXT NOT NULL,
  username TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (grp, contact_id, guardian_key)
);
CREATE INDEX guardians_of ON guardians (guardian_key);
CREATE TABLE registrations (
  token TEXT PRIMARY KEY,
  user_key TEXT NOT NULL,
  grp TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX registrations_of ON registrations (user_key, state);
`,
  },
  {
    version: 4,
    name: 'notices, sightings, "not me" and "is this you?"',
    // Terminal side: which face of which photo went to (or was asked of) which member, what they said, their
    // batched notices; album side: faces an owner said are not them. Times are milliseconds (BIGINT).
    sql: `
CREATE TABLE notice_settings (user_key TEXT PRIMARY KEY, mode TEXT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE notice_state (user_key TEXT PRIMARY KEY, batch BIGINT NOT NULL DEFAULT 0, last_sent_at BIGINT);
CREATE TABLE notice_items (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  user_key TEXT NOT NULL,
  sighting BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('photo', 'question')),
  batch BIGINT,
  created_at BIGINT NOT NULL,
  UNIQUE (user_key, sighting, kind)
);
CREATE INDEX notice_items_open ON notice_items (user_key, batch);
CREATE TABLE group_names (grp TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE sightings (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  grp TEXT NOT NULL,
  member_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('delivered', 'unsure')),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'yes', 'no', 'not_me')),
  descriptor TEXT NOT NULL,
  box TEXT NOT NULL,
  distance REAL NOT NULL,
  filename TEXT NOT NULL,
  thumb BLOB NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (grp, member_id, sha256)
);
CREATE INDEX sightings_of ON sightings (member_id, sha256);
CREATE TABLE unsure_pictures (sha256 TEXT PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE member_negatives (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  descriptor TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (member_id, sha256)
);
CREATE TABLE account_rejections (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  username_key TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  descriptor TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (username_key, sha256)
);
ALTER TABLE album_photos ADD COLUMN group_name TEXT;
`,
  },
  {
    version: 5,
    name: 'age estimates, members registered as children, learned references, event photos',
    sql: `
ALTER TABLE contact_faces ADD COLUMN age REAL;
ALTER TABLE contacts ADD COLUMN minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contact_faces ADD COLUMN source TEXT NOT NULL DEFAULT 'selfie';
ALTER TABLE contact_faces ADD COLUMN sha256 TEXT;
ALTER TABLE contact_faces ADD COLUMN learned_at BIGINT;
ALTER TABLE contact_faces ADD COLUMN cause TEXT;
CREATE TABLE event_photos (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  grp TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  filename TEXT NOT NULL,
  bytes BLOB NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (grp, sha256)
);
CREATE INDEX event_photos_at ON event_photos (grp, created_at);
`,
  },
  {
    version: 6,
    name: 'per-account deletion keys, signed-upload nonces',
    // Album side: only the key's SHA-256 (rotating the link leaves it); terminal side: the key, so /forget
    // deletes the album whatever link its owner holds now. NULL for accounts made before this step.
    // upload_nonces: signatures of signed uploads seen within their 5-minute window (replays are refused).
    sql: `
ALTER TABLE accounts ADD COLUMN deletion_key_hash TEXT;
ALTER TABLE member_links ADD COLUMN deletion_key TEXT;
CREATE TABLE upload_nonces (nonce TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
CREATE INDEX upload_nonces_expiry ON upload_nonces (expires_at);
`,
  },
  {
    version: 7,
    name: 'album photos dated by when they were taken (issue 26)',
    // EXIF DateTimeOriginal (UTC ISO, like received_at); albums list newest taken first, arrival when absent.
    sql: `
ALTER TABLE album_photos ADD COLUMN taken_at TEXT;
CREATE INDEX album_photos_shown ON album_photos (username_key, (COALESCE(taken_at, received_at)) DESC, id);
`,
  },
];

/**
 * Steps PostgreSQL alone takes (numbered from 1001, apart from the shared steps): there jobs run on
 * pg-boss (core/jobs/pg-boss-queue.ts), and a job's row points at its current pg-boss job.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1001,
    name: 'jobs on pg-boss',
    sql: `
ALTER TABLE jobs ADD COLUMN engine_id UUID;
CREATE INDEX jobs_engine ON jobs (engine_id);
`,
  },
];
