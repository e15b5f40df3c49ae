import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Optional signed uploads (UPLOAD_HMAC_SECRET). A trusted terminal sends two headers with
 * `POST /api/upload`:
 *   X-Facedrop-Timestamp: <unix seconds>
 *   X-Facedrop-Signature: v1=<hex HMAC-SHA256(secret, "facedrop-upload-v1\n<timestamp>\n<username>\n<sha256 hex of picture bytes>")>
 * The picture's hash binds the signature to the bytes without signing the multipart framing, which
 * clients build differently. A timestamp more than MAX_SKEW_SECONDS away from the server's clock is refused.
 */
export const TIMESTAMP_HEADER = 'x-facedrop-timestamp';
export const SIGNATURE_HEADER = 'x-facedrop-signature';
export const MAX_SKEW_SECONDS = 300;

export interface SignedFields {
  timestamp: number;
  username: string;
  /** SHA-256 of the picture bytes, lowercase hex. */
  sha256: string;
}

/** The `X-Facedrop-Signature` header value for an upload. */
export function signUpload(secret: string, fields: SignedFields): string {
  const payload = `facedrop-upload-v1\n${fields.timestamp}\n${fields.username}\n${fields.sha256}`;
  return `v1=${createHmac('sha256', secret).update(payload).digest('hex')}`;
}

/** Headers a terminal adds to a signed upload. */
export function uploadSignatureHeaders(secret: string, username: string, sha256: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signUpload(secret, { timestamp, username, sha256 }) };
}

export function verifyUploadSignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  username: string,
  sha256: string,
  now = Date.now(),
): boolean {
  const timestampText = headers[TIMESTAMP_HEADER];
  const given = headers[SIGNATURE_HEADER];
  if (typeof timestampText !== 'string' || typeof given !== 'string' || !/^\d{1,12}$/.test(timestampText)) return false;
  const timestamp = Number(timestampText);
  if (Math.abs(now / 1000 - timestamp) > MAX_SKEW_SECONDS) return false;
  const expected = Buffer.from(signUpload(secret, { timestamp, username, sha256 }));
  const actual = Buffer.from(given.trim());
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
