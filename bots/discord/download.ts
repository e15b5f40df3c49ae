// Fetches an attachment's original bytes from its CDN `url`. The query string (ex, is, hm) is Discord's
// signature and must stay intact, so the URL is used exactly as received.
import { setTimeout as sleep } from 'node:timers/promises';
import { BodyTooLargeError, readBoundedBody } from '../shared/bounded-download.ts';

export class DownloadError extends Error {
  /** From the CDN's Retry-After, when it sent one. */
  retryAfterMs: number | undefined;
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  maxBytes: number;
  /** Attempts in all; 429, 5xx and network errors are retried. */
  attempts?: number;
  timeoutMs?: number;
  /** Delay before retry n (ms) when the CDN gives no Retry-After. */
  backoff?: (attempt: number) => number;
}

const defaultBackoff = (attempt: number) => Math.min(10_000, 500 * 2 ** attempt);

/** The attachment's bytes, unchanged. Throws DownloadError (without the URL: its query is a signature). */
export async function downloadAttachment(url: string, options: DownloadOptions): Promise<Uint8Array> {
  const attempts = options.attempts ?? 4;
  const backoff = options.backoff ?? defaultBackoff;
  let lastError: DownloadError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(lastError?.retryAfterMs ?? backoff(attempt));
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
    } catch (error) {
      lastError = new DownloadError('The attachment could not be fetched', undefined, { cause: error });
      continue;
    }
    if (response.ok) {
      try {
        return await readBoundedBody(response, options.maxBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) throw new DownloadError(`The attachment is larger than ${options.maxBytes} bytes`, 413);
        lastError = new DownloadError('The attachment could not be fetched', undefined, { cause: error });
        continue;
      }
    }
    await response.body?.cancel();
    const error = new DownloadError(`The CDN answered ${response.status}`, response.status);
    if (response.status !== 429 && response.status < 500) throw error;
    const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
    if (retryAfter >= 0) error.retryAfterMs = Math.min(60_000, retryAfter * 1000);
    lastError = error;
  }
  throw lastError ?? new DownloadError('The attachment could not be fetched');
}
