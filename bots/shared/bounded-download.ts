// Both bots read files posted by chat users from servers they do not control: a body is read at most
// `maxBytes` into memory, and cut as soon as it goes over, whether or not a content-length was sent.

/** The body is (or declares to be) over the limit; `bytes` is what was seen when it was cut. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly maxBytes: number,
    readonly bytes: number,
  ) {
    super(`The download is larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a response body, cancelling the transfer once more than `maxBytes` arrived. Throws BodyTooLargeError. */
export async function readBoundedBody(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new BodyTooLargeError(maxBytes, declared);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(maxBytes, total);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
