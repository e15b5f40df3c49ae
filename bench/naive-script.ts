// The naive reference as a whole process: what face-api's own Node demo does (node-canvas decode, then
// detectAllFaces().withFaceLandmarks().withFaceDescriptors() on the main thread), over the files it is given.
// Prints one line per photo, as `facedrop share` does. Run by bench/whole.ts.
import fs from 'node:fs';
import canvas from 'canvas';
import { FACE_API_MODEL_DIR, loadFaceApi } from '../core/faces/detector.ts';

const faceapi = await loadFaceApi();
await faceapi.nets.ssdMobilenetv1.loadFromDisk(FACE_API_MODEL_DIR);
await faceapi.nets.faceRecognitionNet.loadFromDisk(FACE_API_MODEL_DIR);
faceapi.env.monkeyPatch({ Canvas: canvas.Canvas, Image: canvas.Image, ImageData: canvas.ImageData } as never);
for (const file of process.argv.slice(2)) {
  const img = await canvas.loadImage(fs.readFileSync(file));
  const c = canvas.createCanvas(img.width, img.height);
  c.getContext('2d').drawImage(img, 0, 0, img.width, img.height);
  const faces = await faceapi.detectAllFaces(c as never, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 })).withFaceLandmarks().withFaceDescriptors();
  process.stdout.write(`${file}: ${faces.length} face(s)\n`);
}
