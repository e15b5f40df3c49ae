import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Every error the album answers with, in one place: code -> HTTP status and a default human sentence.
 * The code is the contract (clients branch on it); the message is for people and may change.
 */
export const ALBUM_ERRORS = {
  // 400: the request itself is wrong
  bad_request: [400, 'The request is malformed.'],
  invalid_username: [400, 'A username is 1 to 64 letters, digits, "_", "-" or ".", and not "." or "..".'],
  missing_picture: [400, 'Send the photo as a multipart file field named "picture".'],
  missing_face: [400, 'Send at least one selfie as a multipart file field named "face".'],
  not_an_image: [400, 'The file is not an image (JPEG, PNG, WebP, GIF, TIFF, HEIF or AVIF).'],
  invalid_photo_id: [400, 'That is not a photo id.'],
  // 401: the optional signed-upload gate (UPLOAD_HMAC_SECRET)
  bad_signature: [401, 'This server accepts only uploads signed by a trusted terminal; the signature is missing, wrong or stale.'],
  bad_deletion_key: [401, 'The deletion key is missing or wrong for this account.'],
  // 404
  not_found: [404, 'Nothing here.'],
  unknown_account: [404, 'No account has that username.'],
  unknown_album: [404, 'No album at this address.'],
  unknown_photo: [404, 'No such photo in this album.'],
  unknown_rejection: [404, 'No such "not me" in this album.'],
  // 409
  username_taken: [409, 'That username is taken. Choose another one.'],
  deletion_key_exists: [409, 'This account has a deletion key already; only the terminal that holds it can use it.'],
  // 413: past a limit
  payload_too_large: [413, 'The file is larger than this server accepts.'],
  too_many_files: [413, 'Too many files in one request.'],
  too_many_parts: [413, 'Too many form fields in one request.'],
  image_too_large: [413, 'The image has too many pixels to process safely.'],
  // 415
  not_multipart: [415, 'Send the request as multipart/form-data.'],
  // 422: the bytes are an image, but not one this request can use
  no_matching_face: [422, 'The picture holds no face that matches the account owner, so it was not stored.'],
  rejected_by_owner: [422, 'The account owner said this face is not them, so it was not stored.'],
  no_face: [422, 'No face was found in that picture. Send a clear, well-lit photo of your face, looking at the camera.'],
  several_faces: [422, 'That picture shows several faces of similar size. Send a photo of your face alone.'],
  // 429
  rate_limited: [429, 'Too many requests from this address. Wait a little and try again.'],
  // 5xx: details stay in the log
  internal: [500, 'Something went wrong on the server. Try again later.'],
  not_ready: [503, 'The server is starting. Try again in a moment.'],
} as const satisfies Record<string, readonly [number, string]>;

export type AlbumErrorCode = keyof typeof ALBUM_ERRORS;

/** An expected refusal: becomes `{error: code, message}` with the catalogue's status. */
export class AlbumError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: AlbumErrorCode,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? ALBUM_ERRORS[code][1], options);
    this.name = 'AlbumError';
    this.statusCode = ALBUM_ERRORS[code][0];
  }
}

export interface ErrorBody {
  error: string;
  message: string;
}

// Fastify's and its plugins' own 4xx errors, renamed into the album's vocabulary.
const FASTIFY_CODES: Record<string, AlbumErrorCode> = {
  FST_REQ_FILE_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_PARTS_LIMIT: 'too_many_parts',
  FST_FIELDS_LIMIT: 'too_many_parts',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'not_multipart',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'not_multipart',
  FST_PROTO_VIOLATION: 'bad_request',
  FST_MP_PREMATURE_CLOSE: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
};

/** Maps anything thrown in a route to a status and a JSON body; 5xx details never leave the server. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (error instanceof AlbumError) return { status: error.statusCode, body: { error: error.code, message: error.message }, internal: false };
  const e = (error ?? {}) as Partial<FastifyError> & { statusCode?: number };
  const mapped = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return { status: ALBUM_ERRORS[mapped][0], body: { error: mapped, message: ALBUM_ERRORS[mapped][1] }, internal: false };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 429) return { status, body: { error: 'rate_limited', message: ALBUM_ERRORS.rate_limited[1] }, internal: false };
  if (e.validation) return { status: 400, body: { error: 'bad_request', message: e.message ?? ALBUM_ERRORS.bad_request[1] }, internal: false };
  if (status >= 400 && status < 500) {
    return { status, body: { error: status === 404 ? 'not_found' : 'bad_request', message: e.message ?? ALBUM_ERRORS.bad_request[1] }, internal: false };
  }
  return { status: 500, body: { error: 'internal', message: ALBUM_ERRORS.internal[1] }, internal: true };
}

/** The one error handler: 4xx pass through as `{error, message}`, 5xx are logged and hidden. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = toErrorResponse(error);
    if (internal) request.log.error({ err: error }, 'request failed');
    // Keep any headers a plugin set (rate-limit's retry-after), but never a half-built content type.
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
}
