import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Optional signed uploads (UPLOAD_HMAC_SECRET), the format core/share/album-client.ts `signPacket` sends:
 *   X-Facedrop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<username>\n<sha256 hex of picture>\n<t>")>
 * The picture's hash binds the signature to the bytes without signing the multipart framing (clients build
 * it differently). A timestamp more than MAX_SKEW_SECONDS from the server's clock is refused, so a captured
 * packet cannot be replayed later (and a replay within the window is a harmless duplicate).
 */
export const SIGNATURE_HEADER = 'x-facedrop-signature';
export const MAX_SKEW_SECONDS = 300;

const mac = (secret: string, username: string, sha256: string, timestamp: number) =>
  createHmac('sha256', secret).update(`${username}\n${sha256}\n${timestamp}`).digest('hex');

/** The header value a trusted terminal sends (same as core/share's signPacket, given the picture's hash). */
export function signUpload(secret: string, username: string, sha256: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${mac(secret, username, sha256, timestamp)}`;
}

export function verifyUploadSignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  username: string,
  sha256: string,
  now = Date.now(),
): boolean {
  const header = headers[SIGNATURE_HEADER];
  if (typeof header !== 'string') return false;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]));
  const t = parts.get('t');
  const given = parts.get('v1');
  if (!t || !/^\d{1,12}$/.test(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  const timestamp = Number(t);
  if (Math.abs(now / 1000 - timestamp) > MAX_SKEW_SECONDS) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(mac(secret, username, sha256, timestamp), 'hex'));
}
