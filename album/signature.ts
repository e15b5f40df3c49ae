import { createHash, timingSafeEqual } from 'node:crypto';
import { hmacHex, MAX_SKEW_SECONDS, SIGNATURE_HEADER, signedAccountText, signedTextV1, signedTextV2, type SignedUpload } from '../core/wire/index.ts';

export { MAX_SKEW_SECONDS, SIGNATURE_HEADER, signedAccountText, signedTextV2, type SignedUpload } from '../core/wire/index.ts';

/**
 * Optional signed uploads (UPLOAD_HMAC_SECRET), the formats core/share/album-client.ts sends:
 *   v1: X-Facedrop-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<username>\n<sha256 of picture>\n<t>")>
 *   v2: X-Facedrop-Signature: t=<unix s>,n=<nonce>,v2=<hex HMAC-SHA256(secret, signedText)> (every field: signedTextV2)
 * The picture's hash binds the signature to the bytes without signing the multipart framing (clients build
 * it differently). A timestamp more than MAX_SKEW_SECONDS from the server's clock is refused, and a signature
 * seen once is refused again within that window (the route remembers it: a captured packet cannot be replayed).
 */
const mac = (secret: string, username: string, sha256: string, timestamp: number) => hmacHex(secret, signedTextV1(username, sha256, timestamp));

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
  return checkUploadSignature(secret, headers, { username, sha256 }, now).kind === 'ok';
}

export type SignatureCheck = { kind: 'ok'; replayKey: string; expiresAt: number } | { kind: 'bad' };

/**
 * Checks a v1 or v2 signature. `replayKey` names this signature: the caller refuses it when seen before
 * `expiresAt` (ms), past which the timestamp check refuses it anyway.
 */
export function checkUploadSignature(secret: string, headers: Record<string, string | string[] | undefined>, upload: SignedUpload, now = Date.now()): SignatureCheck {
  const header = headers[SIGNATURE_HEADER];
  if (typeof header !== 'string' || header.length > 512) return { kind: 'bad' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]));
  const t = parts.get('t');
  if (!t || !/^\d{1,12}$/.test(t)) return { kind: 'bad' };
  const timestamp = Number(t);
  if (Math.abs(now / 1000 - timestamp) > MAX_SKEW_SECONDS) return { kind: 'bad' };
  const expiresAt = (timestamp + MAX_SKEW_SECONDS + 1) * 1000;
  const v2 = parts.get('v2');
  const nonce = parts.get('n');
  if (v2 !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(v2) || !nonce || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) return { kind: 'bad' };
    const expected = hmacHex(secret, signedTextV2(upload, timestamp, nonce));
    if (!timingSafeEqual(Buffer.from(v2, 'hex'), Buffer.from(expected, 'hex'))) return { kind: 'bad' };
    return { kind: 'ok', replayKey: `v2:${nonce}`, expiresAt };
  }
  const given = parts.get('v1');
  if (!given || !/^[0-9a-f]{64}$/.test(given)) return { kind: 'bad' };
  if (!timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(mac(secret, upload.username, upload.sha256, timestamp), 'hex'))) return { kind: 'bad' };
  // v1 has no nonce: the signature itself is the one-time key.
  return { kind: 'ok', replayKey: `v1:${createHash('sha256').update(given).digest('hex')}`, expiresAt };
}


/** Checks `t=…,n=…,v2=…` over signedAccountText (ACCOUNT_SIGNATURE_REQUIRED); the caller remembers replayKey. */
export function checkAccountSignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  request: { username: string; faceSha256s: string[]; keepSelfies: string | undefined },
  now = Date.now(),
): SignatureCheck {
  const header = headers[SIGNATURE_HEADER];
  if (typeof header !== 'string' || header.length > 512) return { kind: 'bad' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]));
  const t = parts.get('t');
  const nonce = parts.get('n');
  const v2 = parts.get('v2');
  if (!t || !/^\d{1,12}$/.test(t) || !nonce || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) || !v2 || !/^[0-9a-f]{64}$/.test(v2)) return { kind: 'bad' };
  const timestamp = Number(t);
  if (Math.abs(now / 1000 - timestamp) > MAX_SKEW_SECONDS) return { kind: 'bad' };
  const expected = hmacHex(secret, signedAccountText(request.username, request.faceSha256s, request.keepSelfies, timestamp, nonce));
  if (!timingSafeEqual(Buffer.from(v2, 'hex'), Buffer.from(expected, 'hex'))) return { kind: 'bad' };
  return { kind: 'ok', replayKey: `a2:${nonce}`, expiresAt: (timestamp + MAX_SKEW_SECONDS + 1) * 1000 };
}
