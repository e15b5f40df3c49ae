import type { Config } from '../config.ts';
import { ContactBook, LEARNING_CONSENT_VERSION } from './contacts/index.ts';
import { sharedFaceEngine, type FaceEngine } from './faces/index.ts';
import { MAX_MATCH_DISTANCE, policyForGallery } from './match/index.ts';
import { openConfiguredRecords, type Records } from './records/index.ts';
import type { AlbumAddressPolicy } from './share/album-address.ts';
import { localTerminalKey, sameOrigin } from './share/local-terminal.ts';
import { EventLearning } from './share/learning.ts';
import { isChatMember, MemberNotices, Outbox, Sharer, uploadPicture, type DeliveryOutcome, type Packet } from './share/index.ts';

/** Everything the sender's side needs, wired once: used by the CLI and every bot. */
export interface Terminal {
  records: Records;
  engine: FaceEngine;
  contacts: ContactBook;
  outbox: Outbox;
  sharer: Sharer;
  /** Batched private notices, "not me" and "is this you?" (the bots send and answer them). */
  notices: MemberNotices;
  /** Which album addresses typed by chat users may be used (ALBUM_ALLOW_PRIVATE, ALBUM_ALLOWED_HOSTS, PUBLIC_URL). */
  albumPolicy: AlbumAddressPolicy;
  /** UPLOAD_HMAC_SECRET: signs packets and account requests for albums that require it. */
  albumSecret?: string;
  close(): Promise<void>;
}

export type TerminalConfig = Pick<
  Config,
  'DATA_DIR' | 'STORE_URL' | 'DATABASE_URL' | 'FACE_THREADS' | 'MATCH_FALSE_MATCH_RATE' | 'MATCH_MARGIN' | 'MATCH_MIN_FACE_PX' | 'UPLOAD_HMAC_SECRET' | 'PUBLIC_URL' | 'ALBUM_ALLOW_PRIVATE' | 'ALBUM_ALLOWED_HOSTS'
> &
  Partial<Pick<Config, 'ALBUM_VERIFY_THRESHOLD' | 'NOTICE_DELAY_MS' | 'NOTICE_DIGEST_INTERVAL_MS' | 'EVENT_WINDOW_MINUTES' | 'OUTBOX_GIVE_UP_DAYS'>>;

export async function openTerminal(
  config: TerminalConfig,
  deps: { records?: Records; engine?: FaceEngine; onDelivered?: (packet: Packet, outcome: DeliveryOutcome) => void; terminalName?: string } = {},
): Promise<Terminal> {
  const records = deps.records ?? (await openConfiguredRecords(config));
  const engine = deps.engine ?? sharedFaceEngine({ threads: config.FACE_THREADS });
  const contacts = new ContactBook(records.contacts, engine, config.MATCH_FALSE_MATCH_RATE, async (group) => (await records.consents.settings(group)).paused);
  const hmacSecret = config.UPLOAD_HMAC_SECRET;
  const albumPolicy: AlbumAddressPolicy = { allowPrivate: config.ALBUM_ALLOW_PRIVATE, allowedHosts: config.ALBUM_ALLOWED_HOSTS, builtIn: config.PUBLIC_URL };
  let notices: MemberNotices | undefined;
  let localKey: Promise<string> | undefined;
  const outbox = new Outbox({
    records,
    send: async (p) =>
      uploadPicture(p, {
        albumPolicy,
        ...(hmacSecret ? { hmacSecret } : {}),
        // The built-in album shares this database, so it knows the key and does not rate-limit its own terminal.
        ...(sameOrigin(p.album, config.PUBLIC_URL) ? { localTerminal: { album: config.PUBLIC_URL, key: await (localKey ??= localTerminalKey(records.kv)) } } : {}),
      }),
    ...(deps.onDelivered ? { onFinal: deps.onDelivered } : {}),
    ...(deps.terminalName ? { terminal: deps.terminalName } : {}),
    afterFinal: (packet, outcome) => notices!.afterFinal(packet, outcome),
    groupName: (group) => records.notices.groupName(group),
    ...(config.OUTBOX_GIVE_UP_DAYS !== undefined ? { giveUpAfterMs: config.OUTBOX_GIVE_UP_DAYS * 86_400_000 } : {}),
  });
  // Sharer and notices need each other: a confirmed face teaches the sharer, which looks at the event again.
  let sharerRef: Sharer | undefined;
  notices = new MemberNotices({
    records,
    contacts,
    outbox,
    timing: { delayMs: config.NOTICE_DELAY_MS ?? 180_000, digestIntervalMs: config.NOTICE_DIGEST_INTERVAL_MS ?? 3_600_000 },
    onConfirmed: async (group, memberId, sha256, face) => void (await sharerRef?.learnConfirmed(group, memberId, sha256, face)),
  });
  const windowMs = (config.EVENT_WINDOW_MINUTES ?? 30) * 60_000;
  // Chat members' matched faces are kept only under the consent text that says so; the CLI's operator keeps
  // their own contact book.
  const canLearn = async (group: string, memberId: string) =>
    !isChatMember(memberId) ||
    (await records.consents.history(memberId)).some((c) => c.group === group && c.subjectKey === memberId && c.withdrawnAt === undefined && c.textVersion >= LEARNING_CONSENT_VERSION);
  const learning = windowMs > 0 ? new EventLearning({ records, windowMs, canLearn, analyze: (picture) => engine.analyze(picture, 'photo'), now: Date.now }) : undefined;
  const memberNotices = notices;
  const sharer = new Sharer({
    engine,
    contacts,
    outbox,
    // A delivered photo keeps the entry alive for MEMBER_RETENTION_DAYS.
    onDelivered: (group, memberId) => records.consents.touch(group, memberId, Date.now()),
    policyFor: (gallery) => policyForGallery(gallery, { falseMatchRate: config.MATCH_FALSE_MATCH_RATE, margin: config.MATCH_MARGIN, minFacePx: config.MATCH_MIN_FACE_PX }),
    notices: records.notices,
    verifyThreshold: config.ALBUM_VERIFY_THRESHOLD ?? MAX_MATCH_DISTANCE,
    canAsk: isChatMember,
    onQuestion: (memberId, sighting) => memberNotices.ask(memberId, sighting),
    ...(learning ? { learning } : {}),
  });
  sharerRef = sharer;
  return {
    records,
    engine,
    contacts,
    outbox,
    sharer,
    notices: memberNotices,
    albumPolicy,
    ...(hmacSecret ? { albumSecret: hmacSecret } : {}),
    async close() {
      await outbox.stop();
      if (!deps.records) await records.close();
    },
  };
}
