import type { FastifyRequest } from 'fastify';
import { AlbumError } from './errors.ts';

export interface MultipartBody {
  fields: Record<string, string>;
  files: Buffer[];
}

export interface MultipartLimits {
  /** The only file field accepted. */
  fileField: string;
  maxFiles: number;
  maxFileBytes: number;
}

/**
 * Buffers a multipart request within limits, part by part as it streams: a file part with the wrong field
 * name is refused on its header, at most `maxFiles` files of `maxFileBytes` each, a few short text fields.
 * Past a limit @fastify/multipart throws (413, mapped in errors.ts); nothing touches the disk.
 */
export async function readMultipart(request: FastifyRequest, limits: MultipartLimits): Promise<MultipartBody> {
  if (!request.isMultipart()) throw new AlbumError('not_multipart');
  try {
    return await bufferParts(request, limits);
  } catch (error) {
    // Limits come as coded errors (errors.ts maps them); busboy's parse errors are plain ones: the body is malformed.
    if (error instanceof AlbumError || (typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('FST_'))) throw error;
    throw new AlbumError('bad_request', 'The multipart body is malformed.', { cause: error });
  }
}

/** A file part's bytes, refused (413) as soon as they pass `maxBytes`, without waiting for the part to end. */
async function readFilePart(file: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of file) {
    total += chunk.length;
    if (total > maxBytes) throw new AlbumError('payload_too_large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A part's header block (content-disposition, content-type) is a few hundred bytes; past this it is refused. */
export const MAX_PART_HEADER_BYTES = 8 * 1024;

/**
 * Watches the body as busboy reads it (an extra 'data' listener sees the same chunks) and notes a part header
 * longer than MAX_PART_HEADER_BYTES: busboy keeps only its first 80 KiB and would accept the part regardless.
 */
function watchPartHeaders(request: FastifyRequest): () => boolean {
  const boundary = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(request.headers['content-type'] ?? '');
  const delimiter = boundary ? `--${boundary[1] ?? boundary[2]}` : undefined;
  if (!delimiter) return () => false;
  let tooLong = false;
  let inHeader = false;
  let headerBytes = 0;
  let tail = '';
  const onData = (chunk: Buffer) => {
    // latin1 keeps one character per byte, so lengths are byte counts.
    const text = tail + chunk.toString('latin1');
    let at = 0;
    while (at < text.length && !tooLong) {
      if (!inHeader) {
        const found = text.indexOf(delimiter, at);
        if (found === -1) break;
        inHeader = true;
        headerBytes = 0;
        at = found + delimiter.length;
      } else {
        const end = text.indexOf('\r\n\r\n', at);
        headerBytes += (end === -1 ? text.length : end) - at;
        if (headerBytes > MAX_PART_HEADER_BYTES) tooLong = true;
        if (end === -1) break;
        inHeader = false;
        at = end + 4;
      }
    }
    // Enough to find a delimiter or a blank line cut between two chunks (counted twice at most: a few bytes).
    tail = text.slice(-(delimiter.length + 4));
    if (inHeader) headerBytes -= Math.min(headerBytes, tail.length);
    if (tooLong) request.raw.off('data', onData);
  };
  request.raw.on('data', onData);
  request.raw.once('end', () => request.raw.off('data', onData));
  return () => tooLong;
}

async function bufferParts(request: FastifyRequest, limits: MultipartLimits): Promise<MultipartBody> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const files: Buffer[] = [];
  const parts = request.parts({
    // fileSize one byte over: busboy would truncate at the limit and wait for the part's end; readFilePart refuses at once.
    limits: { files: limits.maxFiles, fileSize: limits.maxFileBytes + 1, fields: 10, parts: limits.maxFiles + 10, fieldSize: 1024, fieldNameSize: 64 },
  });
  // Attached in the tick in which the loop below pipes the body into busboy: no chunk has flowed yet.
  const headerTooLong = watchPartHeaders(request);
  const refuseLongHeader = () => {
    if (headerTooLong()) throw new AlbumError('too_many_parts', `A part's header is longer than ${MAX_PART_HEADER_BYTES / 1024} KiB.`);
  };
  for await (const part of parts) {
    refuseLongHeader();
    if (part.type === 'file') {
      // Checked on the part's header, before its bytes are read.
      if (part.fieldname !== limits.fileField) throw new AlbumError('bad_request', `Unexpected file field "${part.fieldname}"; send "${limits.fileField}".`);
      files.push(await readFilePart(part.file, limits.maxFileBytes));
    } else if (typeof part.value === 'string') {
      if (part.valueTruncated) throw new AlbumError('too_many_parts', `The field "${part.fieldname}" is too long.`);
      // The first value of a field wins; a repeated field cannot override it.
      if (!(part.fieldname in fields)) fields[part.fieldname] = part.value;
    }
  }
  refuseLongHeader();
  return { fields, files };
}
