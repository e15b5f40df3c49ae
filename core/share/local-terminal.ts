// The album server and the terminals that share its database (facedrop serve's own bots, `facedrop share` on
// the same DATA_DIR or PostgreSQL) know one random key: their uploads to the built-in album (PUBLIC_URL)
// carry it, and the album does not rate-limit them like strangers (a 200-photo share met 429s for minutes).
import { randomBytes } from 'node:crypto';
import type { Records } from '../records/index.ts';
import { LOCAL_TERMINAL_KV_KEY as KEY } from '../wire/index.ts';

/** The key of this database, made once by whichever process asks first. Never logged, never sent elsewhere. */
export async function localTerminalKey(kv: Records['kv']): Promise<string> {
  await kv.setOnce(KEY, randomBytes(32).toString('base64url'));
  return (await kv.get<string>(KEY))!;
}

/** The same album server, as far as addresses tell: scheme, host and port. */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
