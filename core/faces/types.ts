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
  /** face-api's 128-d descriptor, as computed (not normalised). */
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
  /** Milliseconds per stage in the worker: decode, detection, landmarks + descriptors. */
  timings: { decode: number; detect: number; describe: number };
}

export const DESCRIPTOR_MODEL = 'faceapi-128/1';
