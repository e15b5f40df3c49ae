import type { PhotoRecord } from '../records.ts';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** "3 photos", "1 photo", "No photos yet". */
export const photoCount = (n: number) => (n === 0 ? 'No photos yet' : n === 1 ? '1 photo' : `${n} photos`);

const dateText = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }) + ' UTC';

function layout(title: string, body: string, bodyAttributes = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/album.css">
<script src="/assets/album.js" defer></script>
</head>
<body${bodyAttributes}>
${body}
</body>
</html>
`;
}

/** The album page: works without JavaScript (links), and the script adds the viewer, deletion and swipes. */
export function renderAlbumPage(input: { username: string; token: string; photos: PhotoRecord[] }): string {
  const { username, photos } = input;
  const api = `/api/albums/${encodeURIComponent(input.token)}`;
  const tiles = photos
    .map((p) => {
      const url = `${api}/photos/${p.id}`;
      const when = dateText(p.receivedAt);
      return `<li class="tile" data-id="${p.id}">
  <a href="${url}" data-full="${url}" data-download="${url}?download=1" data-received="${escapeHtml(p.receivedAt)}">
    <img src="${url}/thumbnail" alt="Photo received ${escapeHtml(when)}" loading="lazy" decoding="async" width="240" height="240">
  </a>
</li>`;
    })
    .join('\n');
  const empty = photos.length === 0;
  return layout(
    `${username}'s photos · facedrop`,
    `<header class="bar">
  <div class="title">
    <h1>${escapeHtml(username)}'s photos</h1>
    <p class="count" id="count">${photoCount(photos.length)}</p>
  </div>
  <a class="button primary" id="download-all" href="${api}/download" download${empty ? ' hidden' : ''}>Download all</a>
</header>
<main>
  <section class="empty" id="empty"${empty ? '' : ' hidden'}>
    <div class="empty-art" aria-hidden="true">📷</div>
    <h2>No photos here yet</h2>
    <p>When someone shares a photo that you are in, it lands here by itself. Keep this link private: it is the only key to your album.</p>
  </section>
  <ul class="grid" id="grid" aria-label="Photos, newest first">
${tiles}
  </ul>
</main>
<dialog id="viewer" aria-label="Photo">
  <div class="viewer-stage">
    <img id="viewer-image" alt="">
    <button class="nav prev" id="viewer-prev" type="button" aria-label="Previous photo">‹</button>
    <button class="nav next" id="viewer-next" type="button" aria-label="Next photo">›</button>
  </div>
  <div class="viewer-bar">
    <span class="caption" id="viewer-caption"></span>
    <a class="button" id="viewer-download" href="#" download>Download</a>
    <button class="button danger" id="viewer-delete" type="button">Delete</button>
    <button class="button" id="viewer-close" type="button">Close</button>
  </div>
</dialog>
<div class="toast" id="toast" role="status" aria-live="polite"></div>`,
    ` data-api="${api}"`,
  );
}

/** The same page for an unknown, rotated or deleted album: nothing tells them apart. */
export function renderNotFoundPage(): string {
  return layout(
    'Album not found · facedrop',
    `<main class="notfound">
  <h1>This album link does not work</h1>
  <p>It may be mistyped, replaced by a newer link, or the album was deleted. Ask the facedrop bot for your current link.</p>
</main>`,
  );
}
