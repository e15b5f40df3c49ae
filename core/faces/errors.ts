export type ImageErrorCode = 'empty' | 'not_an_image' | 'too_large' | 'corrupt' | 'heic_unsupported';

const messages: Record<ImageErrorCode, string> = {
  empty: 'The file is empty.',
  not_an_image: 'The file is not an image (JPEG, PNG, WebP, GIF, TIFF or AVIF).',
  too_large: 'The image has too many pixels to process safely.',
  corrupt: 'The image is damaged or truncated and cannot be read.',
  heic_unsupported:
    'The image is HEIC (an iPhone\'s default format), which this server cannot decode yet: send it as JPEG (on the iPhone: Settings > Camera > Formats > Most Compatible, or share it as JPEG).',
};

/** An image that cannot be analysed: an expected outcome of bad input, never a crash. */
export class ImageError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(options?.detail ? `${messages[code]} (${options.detail})` : messages[code], options);
    this.name = 'ImageError';
  }
}

export type SelfieProblem = 'no_face' | 'several_faces';

/** A selfie that cannot serve as a reference: it must show exactly one clear face. */
export class SelfieError extends Error {
  constructor(readonly code: SelfieProblem, readonly faceCount: number) {
    super(
      code === 'no_face'
        ? 'No face was found in that picture. Send a clear, well-lit photo of your face, looking at the camera.'
        : `That picture shows ${faceCount} faces of similar size. Send a photo of your face alone.`,
    );
    this.name = 'SelfieError';
  }
}
