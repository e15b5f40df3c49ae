// The album's side of a packet, in the patent's units: receiving (the route reads the bounded multipart body),
// extraction (the account name, the picture and its metadata, the signature checked), the account check, face
// verification against the account's own references, and storage. Cheapest first; nothing is written until
// every check has passed. The route only translates HTTP (routes/upload.ts).
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { parseFaceHints, type Analysis, type Box } from '../core/faces/index.ts';
import type { AlbumContext } from './app.ts';
import { inspectImage, parseUsername, verifyWithRejections, type Verification } from './checks.ts';
import { AlbumError } from './errors.ts';
import { withoutLocation } from './location.ts';
import { accountKey, type Account, type PhotoRecord } from './records.ts';
import { toAlbumError } from './routes/common.ts';
import { checkUploadSignature } from './signature.ts';

/** What the receiving unit read: the packet's text fields and its one picture. */
export interface ReceivedPacket {
  fields: Record<string, string | undefined>;
  picture: Buffer | undefined;
  headers: Record<string, string | string[] | undefined>;
}

interface ExtractedPacket {
  username: string;
  /** The received bytes' SHA-256: the photo's id, whatever is removed before storing. */
  sha256: string;
  picture: Buffer;
  image: Awaited<ReturnType<typeof inspectImage>>;
  /** What is stored and served: the picture without its location. */
  stored: Buffer;
  metadata: { group?: string; terminal?: string; groupName?: string };
  hints: Box[] | undefined;
}

interface VerifiedFace {
  analysis: Analysis;
  verdict: Extract<Verification, { kind: 'match' }>;
  checked: 'hints' | 'whole';
}

export type UploadResult = { status: 'stored' | 'duplicate'; id: string };

type UploadContext = Pick<AlbumContext, 'config' | 'engine' | 'records' | 'storage' | 'rejections'>;

/** Optional sender metadata: short printable text, or dropped. */
const metadataText = (value: string | undefined) =>
  value !== undefined && value.length > 0 && value.length <= 200 && !/[\u0000-\u001f\u007f]/.test(value) ? value : undefined;

const round = (n: number) => (Number.isFinite(n) ? Math.round(n * 10000) / 10000 : n);

export class AlbumUpload {
  constructor(private readonly ctx: UploadContext) {}

  /** One packet through every unit; throws AlbumError with the code the API answers. */
  async accept(received: ReceivedPacket, log: FastifyBaseLogger): Promise<UploadResult> {
    const packet = await this.extract(received);
    const account = await this.checkAccount(packet.username);
    // Already in the album: it passed the face check when it was stored.
    if (await this.ctx.records.getPhoto(packet.username, packet.sha256)) return { status: 'duplicate', id: packet.sha256 };
    const face = await this.verifyFace(packet, account, log);
    return this.store(packet, face, log);
  }

  /** Extraction: the account name and picture, checked by shape, type and size (and signature, when required). */
  async extract({ fields, picture, headers }: ReceivedPacket): Promise<ExtractedPacket> {
    if (!picture) throw new AlbumError('missing_picture');
    const sha256 = createHash('sha256').update(picture).digest('hex');
    const secret = this.ctx.config.UPLOAD_HMAC_SECRET;
    if (secret) {
      const signature = checkUploadSignature(secret, headers, { username: fields.username ?? '', sha256, group: fields.group, groupName: fields.groupName, terminal: fields.terminal });
      if (signature.kind === 'bad') throw new AlbumError('bad_signature');
      // A captured packet replayed within its window (after the owner deleted the photo, say) is refused.
      if (!(await this.ctx.records.rememberNonce(signature.replayKey, signature.expiresAt))) throw new AlbumError('bad_signature', 'This signed upload was already received once; a terminal signs each attempt anew.');
    }
    const username = parseUsername(fields.username);
    const image = await inspectImage(picture, this.ctx.config.MAX_UPLOAD_PIXELS);
    const group = metadataText(fields.group);
    const terminal = metadataText(fields.terminal);
    const groupName = metadataText(fields.groupName);
    return {
      username,
      sha256,
      picture,
      image,
      stored: withoutLocation(picture, image.format),
      metadata: { ...(group ? { group } : {}), ...(terminal ? { terminal } : {}), ...(groupName ? { groupName } : {}) },
      hints: parseFaceHints(fields.faceHints),
    };
  }

  /** The account check: only registered accounts receive anything. */
  async checkAccount(username: string): Promise<Account> {
    const account = await this.ctx.records.getAccount(username);
    if (!account) throw new AlbumError('unknown_account');
    return account;
  }

  /**
   * Face verification: a face in the picture matches the account's own references (and is not one the owner
   * rejected). First only the faces around the packet's hints, found and described from the album's own
   * pixels; the hinted check can only accept, and any other answer leaves the decision to the whole picture.
   */
  async verifyFace(packet: ExtractedPacket, account: Account, log: FastifyBaseLogger): Promise<VerifiedFace> {
    const rejections = await this.ctx.rejections.rejections(accountKey(packet.username));
    const verify = (a: Analysis) => verifyWithRejections(a, account, rejections, this.ctx.config.ALBUM_VERIFY_THRESHOLD);
    const { engine } = this.ctx;
    if (packet.hints && engine.analyzeAround) {
      const around = await engine.analyzeAround(packet.picture, packet.hints).catch(toAlbumError);
      const hinted = verify(around);
      log.debug({ hints: packet.hints.length, faces: around.faces.length, verdict: hinted.kind }, 'hinted face check');
      if (hinted.kind === 'match') return { analysis: around, verdict: hinted, checked: 'hints' };
    }
    const analysis = await engine.analyze(packet.picture, 'photo').catch(toAlbumError);
    const verdict = verify(analysis);
    if (verdict.kind === 'model_mismatch') {
      log.warn('account descriptors come from another face model; the owner must register again');
      throw new AlbumError('no_matching_face', 'The account owner must register their face again before photos can be verified.');
    }
    if (verdict.kind === 'rejected') {
      log.info({ faces: analysis.faces.length }, 'upload refused: the owner said this face is not them');
      throw new AlbumError('rejected_by_owner');
    }
    if (verdict.kind === 'no_match') {
      log.info({ faces: analysis.faces.length, distance: round(verdict.distance) }, 'upload refused: no matching face');
      throw new AlbumError('no_matching_face');
    }
    return { analysis, verdict, checked: 'whole' };
  }

  /** Storage: the picture and its thumbnail written atomically, then the metadata; nothing left on failure. */
  async store(packet: ExtractedPacket, { analysis, verdict, checked }: VerifiedFace, log: FastifyBaseLogger): Promise<UploadResult> {
    const { storage, records } = this.ctx;
    const { username, sha256, image } = packet;
    try {
      await storage.storePhoto(username, sha256, image.ext, packet.stored);
    } catch (error) {
      // A failed write (a full disk) leaves no file without a record: the original may be written already.
      if (!(await records.getPhoto(username, sha256))) await storage.deletePhoto(username, sha256, image.ext).catch(() => {});
      throw error;
    }
    const record: PhotoRecord = {
      id: sha256,
      ext: image.ext,
      mime: image.mime,
      bytes: packet.stored.byteLength,
      width: analysis.width,
      height: analysis.height,
      receivedAt: new Date().toISOString(),
      ...(image.takenAt ? { takenAt: image.takenAt } : {}),
      ...packet.metadata,
      faceBox: verdict.box,
      distance: round(verdict.distance),
    };
    const { outcome } = await records.addPhoto(username, record).catch(async (error: unknown) => {
      await storage.deletePhoto(username, sha256, image.ext).catch(() => {});
      throw error;
    });
    if (outcome === 'gone') {
      // The owner deleted the account while this photo was being checked: leave nothing behind.
      await storage.deleteAlbum(username);
      throw new AlbumError('unknown_account');
    }
    log.info({ outcome, distance: record.distance, checked }, 'upload accepted');
    return { status: outcome, id: sha256 };
  }
}
