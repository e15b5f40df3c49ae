// The album server and the terminals that share its database (facedrop serve's own bots, `facedrop share` on
// the same DATA_DIR or PostgreSQL) know one random key: their uploads to the built-in album (PUBLIC_URL)
// carry it, and the album does not rate-limit them like strangers (a 200-photo share met 429s for minutes).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Records } from '../records/index.ts';

export const LOCAL_TERMINAL_HEADER = 'x-facedrop-local-terminal';
const KEY = 'album:local-terminal-key';

/** The key of this database, made once by whichever process asks first. Never logged, never sent elsewhere. */
export async function localTerminalKey(kv: Records['kv']): Promise<string> {
  await kv.setOnce(KEY, randomBytes(32).toString('base64url'));
  return (await kv.get<string>(KEY))!;
}

/** The key if a terminal made one (the album only reads it: building an album writes nothing). */
export function existingLocalTerminalKey(kv: Records['kv']): Promise<string | undefined> {
  return kv.get<string>(KEY);
}

/** Whether a request carries the key (compared in constant time). */
export function carriesLocalTerminalKey(headers: Record<string, string | string[] | undefined>, key: string): boolean {
  const sent = headers[LOCAL_TERMINAL_HEADER];
  if (typeof sent !== 'string' || sent.length !== key.length) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(key));
}

/** The same album server, as far as addresses tell: scheme, host and port. */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
