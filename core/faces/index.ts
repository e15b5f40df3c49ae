export { createFaceEngine, EngineClosedError, sharedFaceEngine, type FaceEngine, type FaceEngineOptions } from './engine.ts';
export { ImageError, SelfieError, type ImageErrorCode, type SelfieProblem } from './errors.ts';
export { pickSelfieFace } from './selfie.ts';
export { ANALYSIS_VERSION, DESCRIPTOR_MODEL, type Analysis, type AnalysisMode, type Box, type Face } from './types.ts';
export { formatFaceHints, MAX_FACE_HINTS, parseFaceHints } from './hints.ts';
