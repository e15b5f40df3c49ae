// A photo's location as a phone writes it, and readers apart from album/location.ts to look for it.
import sharp from 'sharp';

export const GPS_EXIF = {
  IFD0: { Make: 'facedrop-test' },
  IFD2: { DateTimeOriginal: '2019:07:14 15:30:00', OffsetTimeOriginal: '+02:00' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2964/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4000/100' },
};
export const GPS_XMP =
  '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.494N"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>';

/** The GPSLatitude value 48/1 51/1 2964/100 as EXIF stores it, in either byte order. */
export function holdsLatitude(bytes: Buffer): boolean {
  const rationals = (le: boolean) => {
    const b = Buffer.alloc(24);
    [48, 1, 51, 1, 2964, 100].forEach((n, i) => (le ? b.writeUInt32LE(n, i * 4) : b.writeUInt32BE(n, i * 4)));
    return b;
  };
  return bytes.includes(rationals(true)) || bytes.includes(rationals(false));
}

/** IFD0's tags, read from sharp's EXIF payload (a reader apart from the code under test). */
export async function ifd0Tags(bytes: Buffer): Promise<number[]> {
  const exif = (await sharp(bytes).metadata()).exif;
  if (!exif) return [];
  const tiff = exif.toString('latin1', 0, 6) === 'Exif\0\0' ? exif.subarray(6) : exif;
  const le = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const ifd = le ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4);
  return Array.from({ length: u16(ifd) }, (_, i) => u16(ifd + 2 + 12 * i));
}

