// The terminal's only way to an album server: its public HTTP upload interface (ARCHITECTURE.md).
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Dispatcher } from 'undici';
import { formatFaceHints, type Box } from '../faces/index.ts';
import { hmacHex, LOCAL_TERMINAL_HEADER, sha256Hex, SIGNATURE_HEADER, signedAccountText, signedTextV1, signedTextV2 } from '../wire/index.ts';
import { sameOrigin } from './local-terminal.ts';
import { AlbumAddressError, assertAlbumAddressAllowed, guardedDispatcher, isTrustedAlbum, type AlbumAddressPolicy } from './album-address.ts';

/** The album answered and said no (or failed): status and error code from its JSON body. */
export class AlbumApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AlbumApiError';
  }
}

/** The request never completed: refused connection, DNS, timeout, reset. */
export class AlbumHttpError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'AlbumHttpError';
  }
}

/** Whether a failed delivery should stay queued: transport failures, timeouts, rate limits and 5xx. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof AlbumHttpError) return true;
  if (error instanceof AlbumApiError) return error.status >= 500 || error.status === 429 || error.status === 408;
  return false;
}

export interface UploadPacket {
  album: string;
  username: string;
  picture: Uint8Array;
  filename?: string;
  group?: string;
  /** The group's name as its members know it (shown on the album page). */
  groupName?: string;
  terminal?: string;
  /** The address came from a chat user: checked against AlbumClientOptions.albumPolicy at connect time. */
  untrusted?: boolean;
  /**
   * Where the terminal found the face it matched (original pixels), sent as `faceHints`: the album looks there
   * first and checks the whole picture only when no face there verifies. Albums that predate hints ignore the field.
   */
  faceHints?: readonly Box[];
}

export interface UploadResult {
  status: 'stored' | 'duplicate';
  id: string;
}

export interface AlbumClientOptions {
  timeoutMs?: number;
  /** Shared secret for albums that require signed packets (UPLOAD_HMAC_SECRET on the album side). */
  hmacSecret?: string;
  /** Which untrusted album addresses may be reached (default: public unicast addresses only). */
  albumPolicy?: AlbumAddressPolicy;
  /** The built-in album's key (local-terminal.ts): sent only to that album, which then does not rate-limit us. */
  localTerminal?: { album: string; key: string };
}

const STRICT: AlbumAddressPolicy = { allowPrivate: false, allowedHosts: [] };

/** For an untrusted address: refuse a non-public one now, and connect only through a dispatcher that checks every DNS answer. */
async function guardFor(packet: UploadPacket, policy: AlbumAddressPolicy = STRICT): Promise<Dispatcher | undefined> {
  if (!packet.untrusted || isTrustedAlbum(packet.album, policy)) return undefined;
  // An IP literal never goes through DNS, so the dispatcher's lookup would not see it.
  if (net.isIP(new URL(packet.album).hostname.replace(/^\[|\]$/g, ''))) await assertAlbumAddressAllowed(packet.album, policy);
  return guardedDispatcher(packet.album);
}

function findRefusal(error: unknown): AlbumAddressError | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof AlbumAddressError) return e;
  return undefined;
}

/**
 * Signature of a packet: HMAC-SHA256 over "username\nsha256(picture)\ntimestamp", hex,
 * sent as `x-facedrop-signature: t=<unix seconds>,v1=<hex>`.
 */
export function signPacket(secret: string, username: string, picture: Uint8Array, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmacHex(secret, signedTextV1(username, sha256Hex(picture), timestamp))}`;
}

/**
 * Signature v2 (album/README.md): HMAC-SHA256 over the picture's hash and every field sent, with a fresh nonce,
 * which the album remembers for the 5-minute window, so a captured packet cannot be replayed or re-labelled.
 */
export function signPacketV2(
  secret: string,
  fields: { username: string; group?: string | undefined; groupName?: string | undefined; terminal?: string | undefined },
  picture: Uint8Array,
  timestamp = Math.floor(Date.now() / 1000),
  nonce = randomBytes(18).toString('base64url'),
): string {
  return `t=${timestamp},n=${nonce},v2=${hmacHex(secret, signedTextV2({ ...fields, sha256: sha256Hex(picture) }, timestamp, nonce))}`;
}

/** POSTs a packet to `${album}/api/upload`. Throws AlbumApiError or AlbumHttpError. */
export async function uploadPicture(packet: UploadPacket, options: AlbumClientOptions = {}): Promise<UploadResult> {
  const form = new FormData();
  form.set('username', packet.username);
  if (packet.group) form.set('group', packet.group);
  if (packet.terminal) form.set('terminal', packet.terminal);
  const groupName = packet.groupName ? packet.groupName.slice(0, 200) : undefined;
  if (groupName) form.set('groupName', groupName);
  if (packet.faceHints && packet.faceHints.length > 0) form.set('faceHints', formatFaceHints(packet.faceHints));
  form.set('picture', new Blob([packet.picture as Uint8Array<ArrayBuffer>]), packet.filename ?? 'photo.jpg');
  const headers: Record<string, string> = {};
  // Signed anew on each attempt: the album refuses a signature it has seen.
  if (options.hmacSecret) headers[SIGNATURE_HEADER] = signPacketV2(options.hmacSecret, { username: packet.username, group: packet.group || undefined, groupName, terminal: packet.terminal || undefined }, packet.picture);
  if (options.localTerminal && sameOrigin(packet.album, options.localTerminal.album)) headers[LOCAL_TERMINAL_HEADER] = options.localTerminal.key;
  let response: Response;
  let dispatcher: Dispatcher | undefined;
  try {
    dispatcher = await guardFor(packet, options.albumPolicy);
    response = await fetch(`${packet.album.replace(/\/+$/, '')}/api/upload`, {
      method: 'POST',
      body: form,
      headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      // Never followed, whoever gave the address: a redirect would re-send the photo somewhere unchecked.
      redirect: 'manual',
      ...(dispatcher ? { dispatcher } : {}),
    } as RequestInit);
  } catch (error) {
    void dispatcher?.close();
    // Final, like a 4xx: the address is not allowed, so retrying cannot help.
    const refused = findRefusal(error);
    if (refused) throw new AlbumApiError(0, refused.code, refused.message);
    throw new AlbumHttpError(`Album server ${packet.album} could not be reached`, { cause: error });
  }
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // A proxy's HTML error page: the status alone decides.
  } finally {
    void dispatcher?.close();
  }
  refuseRedirect(response, packet.album);
  if (response.ok) {
    // Only the album API's own answer is a delivery: a web server's `200 <html>` at that address is not.
    if ((body.status === 'stored' || body.status === 'duplicate') && typeof body.id === 'string') return { status: body.status, id: body.id };
    throw new AlbumApiError(response.status, 'not_an_album', `${packet.album} answered ${response.status}, but not as an album server (no upload status in its answer)`);
  }
  throw new AlbumApiError(
    response.status,
    typeof body.error === 'string' ? body.error : `http_${response.status}`,
    typeof body.message === 'string' ? body.message : `Album server answered ${response.status}`,
  );
}

export interface AccountCreated {
  username: string;
  token: string;
  albumUrl: string;
  /** From albums that give one: deletes the account whatever link its owner holds now. */
  deletionKey?: string;
}

/** A 3xx is a final answer (redirect_refused): following it would send the photo or the token elsewhere. */
function refuseRedirect(response: Response, album: string): void {
  if (response.status < 300 || response.status > 399) return;
  if (!response.bodyUsed) response.body?.cancel().catch(() => {});
  throw new AlbumApiError(
    response.status,
    'redirect_refused',
    `Album server ${new URL(album).origin} answered with a redirect (${response.status}); facedrop never follows redirects for albums, so nothing was sent on. Give the album's final address.`,
  );
}

async function call(url: string, init: RequestInit, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new AlbumHttpError(`Album server at ${new URL(url).origin} could not be reached`, { cause: error });
  }
  refuseRedirect(response, url);
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // no JSON body: the status decides
  }
  if (!response.ok) {
    throw new AlbumApiError(
      response.status,
      typeof body.error === 'string' ? body.error : `http_${response.status}`,
      typeof body.message === 'string' ? body.message : `Album server answered ${response.status}`,
    );
  }
  return body;
}

/** The signature of an account request (albums with ACCOUNT_SIGNATURE_REQUIRED): name, selfies' hashes, a nonce. */
export function signAccount(secret: string, username: string, selfies: Uint8Array[], timestamp = Math.floor(Date.now() / 1000), nonce = randomBytes(18).toString('base64url')): string {
  return `t=${timestamp},n=${nonce},v2=${hmacHex(secret, signedAccountText(username, selfies.map(sha256Hex), undefined, timestamp, nonce))}`;
}

/** Creates an account on an album server (POST /api/accounts) with one or more reference selfies; signed when given `hmacSecret`. */
export async function createAccount(album: string, username: string, selfies: Uint8Array[], options: { hmacSecret?: string | undefined } = {}): Promise<AccountCreated> {
  const form = new FormData();
  form.set('username', username);
  selfies.forEach((s, i) => form.append('face', new Blob([s as Uint8Array<ArrayBuffer>]), `selfie-${i + 1}.jpg`));
  const headers: Record<string, string> = options.hmacSecret ? { [SIGNATURE_HEADER]: signAccount(options.hmacSecret, username, selfies) } : {};
  const body = await call(`${album.replace(/\/+$/, '')}/api/accounts`, { method: 'POST', body: form, headers });
  return {
    username: String(body.username),
    token: String(body.token),
    albumUrl: String(body.albumUrl),
    ...(typeof body.deletionKey === 'string' ? { deletionKey: body.deletionKey } : {}),
  };
}

const byKey = (album: string, username: string, deletionKey: string, suffix = ''): [string, RequestInit] => [
  `${album.replace(/\/+$/, '')}/api/accounts/${encodeURIComponent(username)}${suffix}`,
  { method: 'DELETE', headers: { authorization: `Bearer ${deletionKey}` } },
];

/** A deletion key for an account made before they existed (POST /api/albums/:token/deletion-key); 409 when it has one. */
export async function requestDeletionKey(album: string, token: string): Promise<string> {
  const body = await call(`${album.replace(/\/+$/, '')}/api/albums/${encodeURIComponent(token)}/deletion-key`, { method: 'POST' });
  return String(body.deletionKey);
}

/** Deletes an account through its deletion key (DELETE /api/accounts/:username); 404 unknown_account means it is gone. */
export async function deleteAccountByKey(album: string, username: string, deletionKey: string): Promise<void> {
  await call(...byKey(album, username, deletionKey));
}

/** Deletes an account's reference faces through its deletion key (DELETE /api/accounts/:username/faces). */
export async function deleteAccountFacesByKey(album: string, username: string, deletionKey: string): Promise<void> {
  await call(...byKey(album, username, deletionKey, '/faces'));
}

/** Deletes an album and everything in it (DELETE /api/albums/:token). */
export async function deleteAlbum(album: string, token: string): Promise<void> {
  await call(`${album.replace(/\/+$/, '')}/api/albums/${encodeURIComponent(token)}`, { method: 'DELETE' });
}

/** Lists an album's photos (GET /api/albums/:token). */
export async function getAlbum(album: string, token: string): Promise<{ username: string; photos: Array<{ id: string; url: string; sha256: string }> }> {
  const body = await call(`${album.replace(/\/+$/, '')}/api/albums/${encodeURIComponent(token)}`, { method: 'GET' });
  return body as never;
}

/**
 * "Not me" for a photo in an album (POST /api/albums/:token/photos/:id/not-me): the album removes it and
 * refuses faces that close to it from then on. Throws AlbumApiError (404 unknown_photo when already gone).
 */
export async function reportNotMe(album: string, token: string, photoId: string): Promise<void> {
  await call(`${album.replace(/\/+$/, '')}/api/albums/${encodeURIComponent(token)}/photos/${encodeURIComponent(photoId)}/not-me`, { method: 'POST' });
}

/** Adds reference selfies to an album (POST /api/albums/:token/faces): a guardian's album learns a dependent's face. */
export async function addAlbumFaces(album: string, token: string, selfies: Uint8Array[]): Promise<void> {
  const form = new FormData();
  selfies.forEach((s, i) => form.append('face', new Blob([s as Uint8Array<ArrayBuffer>]), `selfie-${i + 1}.jpg`));
  await call(`${album.replace(/\/+$/, '')}/api/albums/${encodeURIComponent(token)}/faces`, { method: 'POST', body: form });
}

/** Deletes every reference face of an album (DELETE /api/albums/:token/faces); its photos stay. */
export async function deleteAlbumFaces(album: string, token: string): Promise<void> {
  await call(`${album.replace(/\/+$/, '')}/api/albums/${encodeURIComponent(token)}/faces`, { method: 'DELETE' });
}

/** The album servers' account-name rule (album/README.md): 1-64 of A-Z a-z 0-9 _ - ., not dots only. */
export function isAlbumUsername(username: string): boolean {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(username) && !/^\.+$/.test(username);
}

export type AlbumAccountCheck =
  | { kind: 'ok'; /** false: an album server without the account lookup, which could not say */ accountConfirmed: boolean }
  | { kind: 'unreachable'; message: string }
  | { kind: 'not_an_album'; message: string }
  | { kind: 'unknown_account'; message: string };

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  // Not followed: an album server answers its API itself.
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  return { status: response.status, body: body && typeof body === 'object' ? body : undefined };
}

/**
 * Before a contact is stored: does `album` answer as an album server (GET /healthz with its JSON), and does it
 * have `username` (GET /api/accounts/:username)? An older album server without that lookup passes unconfirmed.
 */
export async function checkAlbumAccount(album: string, username: string, { timeoutMs = 10_000 } = {}): Promise<AlbumAccountCheck> {
  const base = album.replace(/\/+$/, '');
  try {
    const health = await getJson(`${base}/healthz`, timeoutMs);
    if (!['ok', 'starting', 'error'].includes(String(health.body?.status))) {
      return { kind: 'not_an_album', message: `${album} does not answer as an album server (GET /healthz answered ${health.status} without its JSON status)` };
    }
    const account = await getJson(`${base}/api/accounts/${encodeURIComponent(username)}`, timeoutMs);
    if (account.status === 200 && typeof account.body?.username === 'string') return { kind: 'ok', accountConfirmed: true };
    if (account.body?.error === 'unknown_account') return { kind: 'unknown_account', message: `${album} has no account named ${username}` };
    return { kind: 'ok', accountConfirmed: false };
  } catch (error) {
    const { cause } = error as Error & { cause?: { code?: string; message?: string } };
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return { kind: 'unreachable', message: `${album} could not be reached (${why})` };
  }
}
