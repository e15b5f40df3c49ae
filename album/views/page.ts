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
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/album.css">
<script src="/assets/album.js" defer></script>
</head>
<body${bodyAttributes}>
${body}
</body>
</html>
`;
}

/** A photo's day (UTC, like the server's dates): photos are grouped under one heading per day. */
export const photoDay = (iso: string) => iso.slice(0, 10);
const dayText = (iso: string) => new Date(`${photoDay(iso)}T12:00:00Z`).toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
/** Where a photo came from: its group's name when the terminal sent one, else the group's key. */
export const photoSource = (p: Pick<PhotoRecord, 'group' | 'groupName'>) => p.groupName ?? p.group;

/** The album page: works without JavaScript (links), and the script adds the viewer, deletion and swipes. */
export function renderAlbumPage(input: { username: string; token: string; photos: PhotoRecord[]; total?: number; nextCursor?: string | null; rejections?: Array<{ sha256: string; createdAt: number }> }): string {
  const { username, photos } = input;
  const total = input.total ?? photos.length;
  const api = `/api/albums/${encodeURIComponent(input.token)}`;
  let lastDay = '';
  const tiles = photos
    .map((p) => {
      const url = `${api}/photos/${p.id}`;
      // Taken (EXIF) when the photo says, else received: an old photo sits under its own day.
      const shown = p.takenAt ?? p.receivedAt;
      const when = dateText(shown);
      const source = photoSource(p);
      const day = photoDay(shown);
      // Newest first, so each day's photos are contiguous: a heading where the day changes.
      const heading = day !== lastDay ? `<li class="day" data-day="${escapeHtml(day)}"><h2>${escapeHtml(dayText(shown))}</h2></li>\n` : '';
      lastDay = day;
      return `${heading}<li class="tile" data-id="${p.id}" data-day="${escapeHtml(day)}">
  <a href="${url}" data-full="${url}" data-download="${url}?download=1" data-received="${escapeHtml(p.receivedAt)}"${p.takenAt ? ` data-taken="${escapeHtml(p.takenAt)}"` : ''}${source ? ` data-source="${escapeHtml(source)}"` : ''}>
    <img src="${url}/thumbnail" alt="Photo ${p.takenAt ? 'taken' : 'received'} ${escapeHtml(when)}" loading="lazy" decoding="async" width="240" height="240">
  </a>
  ${source ? `<span class="source">${escapeHtml(source)}</span>` : ''}
  <button class="not-me" type="button" title="This is not me: remove it, and I will not receive that face again">Not me</button>
</li>`;
    })
    .join('\n');
  const empty = total === 0;
  return layout(
    `${username}'s photos · facedrop`,
    `<header class="bar">
  <div class="title">
    <h1>${escapeHtml(username)}'s photos</h1>
    <p class="count" id="count" data-total="${total}">${photoCount(total)}</p>
  </div>
  <a class="button primary" id="download-all" href="${api}/download" download${empty ? ' hidden' : ''}>Download all</a>
</header>
<main>
  <section class="empty" id="empty"${empty ? '' : ' hidden'}>
    <svg class="empty-art" aria-hidden="true" viewBox="0 0 64 64" width="72" height="72"><rect x="4" y="16" width="56" height="40" rx="8" fill="currentColor" opacity=".25"/><rect x="22" y="8" width="20" height="12" rx="3" fill="currentColor" opacity=".25"/><circle cx="32" cy="36" r="12" fill="none" stroke="currentColor" stroke-width="4"/></svg>
    <h2>No photos here yet</h2>
    <p>When someone shares a photo that you are in, it lands here by itself.</p>
  </section>
  <ul class="grid" id="grid" aria-label="Photos, newest first, by day"${input.nextCursor ? ` data-next-cursor="${escapeHtml(input.nextCursor)}"` : ''}>
${tiles}
  </ul>
  <p class="more" id="more"${input.nextCursor ? '' : ' hidden'}><a class="button" id="load-more" href="/a/${encodeURIComponent(input.token)}?cursor=${encodeURIComponent(input.nextCursor ?? '')}">Load more</a></p>
${rejectionsSection(input.rejections ?? [])}
</main>
<footer class="foot">
  <p>Keep this link private: anyone who has it can see and delete these photos.</p>
  <p><button class="link" id="new-link" type="button">Get a new link</button> · <button class="link danger" id="delete-album" type="button">Delete this album</button></p>
</footer>
<dialog id="viewer" aria-label="Photo">
  <div class="viewer-stage">
    <img id="viewer-image" alt="">
    <button class="nav prev" id="viewer-prev" type="button" aria-label="Previous photo">‹</button>
    <button class="nav next" id="viewer-next" type="button" aria-label="Next photo">›</button>
  </div>
  <div class="viewer-bar">
    <span class="caption" id="viewer-caption"></span>
    <a class="button" id="viewer-download" href="#" download>Download</a>
    <button class="button" id="viewer-not-me" type="button">Not me</button>
    <button class="button danger" id="viewer-delete" type="button">Delete</button>
    <button class="button" id="viewer-close" type="button">Close</button>
  </div>
</dialog>
<div class="toast" id="toast" role="status" aria-live="polite"></div>`,
    ` data-api="${api}"`,
  );
}

/** Each "not me" with an undo (album.js): the face is the owner's again, later photos of it are accepted. */
function rejectionsSection(rejections: Array<{ sha256: string; createdAt: number }>): string {
  const items = rejections
    .map((r) => `  <li data-id="${escapeHtml(r.sha256)}"><span>A face you marked "not me" on ${escapeHtml(dateText(new Date(r.createdAt).toISOString()))}</span> <button class="button undo-not-me" type="button">Undo</button></li>`)
    .join('\n');
  return `<section class="rejections" id="rejections"${rejections.length ? '' : ' hidden'}>
  <h2>Faces you said are not you</h2>
  <p>Photos of these faces are not accepted into your album. Undo one if it was you after all.</p>
  <ul id="rejection-list">
${items}
  </ul>
</section>`;
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
