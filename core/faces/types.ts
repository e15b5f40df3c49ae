/** A rectangle in the original image's pixels (after EXIF orientation). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Face {
  box: Box;
  /** Detector confidence, 0..1. */
  score: number;
  /** 68 landmark points, original image pixels. */
  landmarks: Array<[number, number]>;
  /**
   * Estimated age in years (face-api's age net); the matching policy reads children's faces with their own
   * tables (core/match/age.ts). Absent in analyses made before it was estimated.
   */
  age?: number;
  /**
   * The descriptor faces are matched by: 512-d, unit length, from the ArcFace-style model on a crop aligned
   * by the landmarks (DESCRIPTOR_MODEL). Compare by cosine distance.
   */
  descriptor: number[];
}

export type AnalysisMode = 'photo' | 'selfie';

export interface Analysis {
  sha256: string;
  width: number;
  height: number;
  faces: Face[];
  /** Which descriptor model made `faces[].descriptor`: stored descriptors carry it so a model change is detected. */
  descriptorModel: string;
  /** Milliseconds per stage in the worker: decode, detection, landmarks, descriptors. */
  timings: { decode: number; detect: number; landmarks: number; describe: number };
}

/** Names the model and preprocessing behind Face.descriptor; stored descriptors carry it. */
export const DESCRIPTOR_MODEL = 'arcface-fr_feature-bgr/1';

/**
 * Names the whole analysis (detector, landmarks, descriptor). A new detector moves descriptors only a little
 * (median cosine 0.99 with the old ones), so members' stored descriptors stay valid under DESCRIPTOR_MODEL;
 * but measurements (the calibration tables, the bench's caches) are made again for each analysis version
 * (age1: faces carry face-api's age estimate).
 */
export const ANALYSIS_VERSION = `${DESCRIPTOR_MODEL}+ultraface-rfb320+age1`;
