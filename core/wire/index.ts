// The wire contract between terminals and album servers (album/README.md): the texts both sides sign and
// check, and the built-in album's trust header. A leaf: it imports nothing of the project, so the album needs
// no terminal code to read what a terminal sends, and a terminal no album code to send it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** `x-facedrop-signature: t=<unix s>,v1=<hex>` or `t=<unix s>,n=<nonce>,v2=<hex>` (HMAC-SHA256, hex). */
export const SIGNATURE_HEADER = 'x-facedrop-signature';
/** A signature more than this far from the album's clock is refused, and one seen within it is a replay. */
export const MAX_SKEW_SECONDS = 300;

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
export const hmacHex = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

/** What v1 signs: the account name, the picture's SHA-256 and the time. */
export const signedTextV1 = (username: string, sha256: string, timestamp: number) => `${username}\n${sha256}\n${timestamp}`;

/** What v2 signs: the picture's hash and every field the upload carries (absent fields as empty lines). */
export interface SignedUpload {
  username: string;
  sha256: string;
  group?: string | undefined;
  groupName?: string | undefined;
  terminal?: string | undefined;
}

export const signedTextV2 = (u: SignedUpload, timestamp: number, nonce: string) =>
  ['facedrop-upload-v2', u.username, u.sha256, String(timestamp), nonce, u.group ?? '', u.groupName ?? '', u.terminal ?? ''].join('\n');

/** What an account request's signature covers: the name, each selfie's SHA-256 in order, keepSelfies. */
export const signedAccountText = (username: string, faceSha256s: string[], keepSelfies: string | undefined, timestamp: number, nonce: string) =>
  ['facedrop-account-v2', username, faceSha256s.join(','), keepSelfies ?? '', String(timestamp), nonce].join('\n');

/**
 * The built-in album and the terminals sharing its database know one random key (kept under this name in the
 * records' kv); their uploads carry it in this header, and the album does not rate-limit them like strangers.
 */
export const LOCAL_TERMINAL_HEADER = 'x-facedrop-local-terminal';
export const LOCAL_TERMINAL_KV_KEY = 'album:local-terminal-key';

/** Whether a request carries the key (compared in constant time). */
export function carriesLocalTerminalKey(headers: Record<string, string | string[] | undefined>, key: string): boolean {
  const sent = headers[LOCAL_TERMINAL_HEADER];
  if (typeof sent !== 'string' || sent.length !== key.length) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(key));
}
