// Calls to the Bot API that wait out rate limits and retry server errors, and the file download.
// Every outgoing call of the bot goes through here: telegraf itself retries only getUpdates.
import { setTimeout as sleep } from 'node:timers/promises';
import { TelegramError, type Telegram } from 'telegraf';
import { BodyTooLargeError, readBoundedBody } from '../shared/bounded-download.ts';
import { redact } from '../shared/redact.ts';

export interface Log {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface RetryPolicy {
  /** Attempts in all, first included. */
  attempts: number;
  /** First backoff after a 5xx or a network error (ms); doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A retry_after longer than this (s) is not waited out in a handler: the call fails. */
  maxRetryAfterS: number;
}

// Eight attempts with doubling from 1 s wait out about 4 minutes of outage before giving up on a download.
export const defaultRetryPolicy = { attempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000, maxRetryAfterS: 600 } as const satisfies RetryPolicy;

/** Telegram serves bots files up to 20 MB (getFile refuses bigger ones). */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

/** The file download answered with an HTTP error. */
export class DownloadError extends Error {
  constructor(readonly status: number) {
    super(`File download answered ${status}`);
    this.name = 'DownloadError';
  }
}

/** The file is over the 20 MB a bot may download: an expected outcome the user is told about. */
export class FileTooBigError extends Error {
  constructor(readonly bytes: number | undefined) {
    super('File is bigger than the 20 MB a bot may download');
    this.name = 'FileTooBigError';
  }
}

/** The chat user never opened a private chat with the bot (or blocked it): 403. */
export const isForbidden = (error: unknown) => error instanceof TelegramError && error.code === 403;

/** How long to wait before retrying, or undefined when the error is final. */
export function retryDelayMs(error: unknown, attempt: number, policy: RetryPolicy): number | undefined {
  if (error instanceof TelegramError) {
    if (error.code === 429) {
      const after = error.parameters?.retry_after ?? 1;
      return after <= policy.maxRetryAfterS ? after * 1000 : undefined;
    }
    return error.code >= 500 ? backoff(attempt, policy) : undefined;
  }
  if (error instanceof DownloadError) return error.status >= 500 || error.status === 429 || error.status === 408 ? backoff(attempt, policy) : undefined;
  if (error instanceof FileTooBigError) return undefined;
  // node-fetch's FetchError (telegraf), undici's "fetch failed" TypeError, timeouts: the call never completed.
  if (error instanceof Error && (error.name === 'FetchError' || error.name === 'TimeoutError' || (error.name === 'TypeError' && error.message === 'fetch failed'))) {
    return backoff(attempt, policy);
  }
  return undefined;
}

const backoff = (attempt: number, p: RetryPolicy) => Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);

/** Error fields safe to log: the bot token (it is in file URLs) is cut out of every string. */
export function describeError(error: unknown, token: string): Record<string, unknown> {
  const scrub = (s: string) => redact(s, [token]);
  if (error instanceof TelegramError) return { name: 'TelegramError', code: error.code, description: scrub(error.description), method: (error.on as { method?: string }).method };
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? scrub(`${error.cause.name}: ${error.cause.message}`) : undefined;
    return { name: error.name, message: scrub(error.message), ...(cause ? { cause } : {}) };
  }
  return { message: scrub(String(error)) };
}

/** Bot API access with retries, shared by every job of one bot. */
export class BotApi {
  constructor(
    readonly telegram: Telegram,
    private readonly token: string,
    private readonly log: Log,
    readonly policy: RetryPolicy = defaultRetryPolicy,
    private readonly signal?: AbortSignal,
  ) {}

  /** Error fields safe to log (no token). */
  describe(error: unknown): Record<string, unknown> {
    return describeError(error, this.token);
  }

  /**
   * Runs a call, waiting `retry_after` on 429 and backing off on 5xx or network errors. A send that got a 5xx
   * may in rare cases have gone out: a repeated message is a lesser harm than a lost album link.
   */
  async call<T>(what: string, fn: (telegram: Telegram) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(this.telegram);
      } catch (error) {
        const delay = attempt < this.policy.attempts ? retryDelayMs(error, attempt, this.policy) : undefined;
        if (delay === undefined || this.signal?.aborted) throw error;
        this.log.warn({ call: what, attempt, retryInMs: Math.round(delay), err: describeError(error, this.token) }, 'Telegram call failed, retrying');
        await sleep(delay, undefined, this.signal ? { signal: this.signal } : undefined);
      }
    }
  }

  /**
   * Downloads a file the bot received: getFile, then GET ${apiRoot}/file/bot<token>/<path>. Both steps are
   * retried as a unit (a file_path may expire). Throws FileTooBigError over 20 MB.
   */
  download(fileId: string, knownSize: number | undefined): Promise<{ bytes: Uint8Array; filePath: string }> {
    if (knownSize !== undefined && knownSize > MAX_DOWNLOAD_BYTES) return Promise.reject(new FileTooBigError(knownSize));
    return this.call('getFile+download', async (telegram) => {
      let file;
      try {
        file = await telegram.getFile(fileId);
      } catch (error) {
        if (error instanceof TelegramError && error.code === 400 && /too big/i.test(error.description)) throw new FileTooBigError(knownSize);
        throw error;
      }
      if (file.file_size !== undefined && file.file_size > MAX_DOWNLOAD_BYTES) throw new FileTooBigError(file.file_size);
      const url = await telegram.getFileLink(file);
      const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      if (!response.ok) {
        await response.body?.cancel();
        throw new DownloadError(response.status);
      }
      try {
        return { bytes: await readBoundedBody(response, MAX_DOWNLOAD_BYTES), filePath: file.file_path ?? '' };
      } catch (error) {
        if (error instanceof BodyTooLargeError) throw new FileTooBigError(error.bytes);
        throw error;
      }
    });
  }
}
