// facedrop album page: full-size viewer, keyboard and swipe navigation, delete. No framework.
(() => {
  'use strict';
  const api = document.body.dataset.api;
  const grid = document.getElementById('grid');
  const viewer = document.getElementById('viewer');
  if (!api || !grid || !viewer) return;

  const image = document.getElementById('viewer-image');
  const caption = document.getElementById('viewer-caption');
  const download = document.getElementById('viewer-download');
  const remove = document.getElementById('viewer-delete');
  const notMe = document.getElementById('viewer-not-me');
  const prev = document.getElementById('viewer-prev');
  const next = document.getElementById('viewer-next');
  const count = document.getElementById('count');
  const empty = document.getElementById('empty');
  const downloadAll = document.getElementById('download-all');
  const toast = document.getElementById('toast');
  let current = -1;

  const tiles = () => Array.from(grid.querySelectorAll('.tile'));
  const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  // Local times instead of the server's UTC text.
  for (const link of grid.querySelectorAll('a[data-received]')) {
    link.querySelector('img').alt = link.dataset.taken ? `Photo taken ${when(link.dataset.taken)}` : `Photo received ${when(link.dataset.received)}`;
  }
  const dayLabel = (day) => new Date(`${day}T12:00:00Z`).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  function dayHeading(day) {
    const li = document.createElement('li');
    li.className = 'day';
    li.dataset.day = day;
    const h2 = document.createElement('h2');
    h2.textContent = dayLabel(day);
    li.appendChild(h2);
    return li;
  }
  // A day heading with no photo left under it goes too.
  function dropEmptyDays() {
    for (const heading of grid.querySelectorAll('.day')) {
      const next = heading.nextElementSibling;
      if (!next || !next.classList.contains('tile')) heading.remove();
    }
  }

  function show(index) {
    const list = tiles();
    if (index < 0 || index >= list.length) return;
    current = index;
    const link = list[index].querySelector('a');
    image.src = link.dataset.full;
    image.alt = link.querySelector('img').alt;
    download.href = link.dataset.download;
    caption.textContent = `${index + 1} of ${list.length} · ${link.dataset.taken ? `taken ${when(link.dataset.taken)}, ` : ''}received ${when(link.dataset.received)}${link.dataset.source ? ` · from ${link.dataset.source}` : ''}`;
    prev.disabled = index === 0;
    next.disabled = index === list.length - 1;
    if (!viewer.open) viewer.showModal();
  }

  function close() {
    if (viewer.open) viewer.close();
  }

  viewer.addEventListener('close', () => {
    image.removeAttribute('src');
    current = -1;
  });

  grid.addEventListener('click', (event) => {
    const button = event.target.closest('.not-me');
    if (button) {
      event.preventDefault();
      void rejectTile(button.closest('.tile'));
      return;
    }
    const link = event.target.closest('a');
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    show(tiles().indexOf(link.closest('.tile')));
  });

  prev.addEventListener('click', () => show(current - 1));
  next.addEventListener('click', () => show(current + 1));
  document.getElementById('viewer-close').addEventListener('click', close);
  document.addEventListener('keydown', (event) => {
    if (!viewer.open) return;
    if (event.key === 'ArrowLeft') show(current - 1);
    if (event.key === 'ArrowRight') show(current + 1);
  });

  // Swipe left/right on a phone.
  let touchX = null;
  viewer.addEventListener('touchstart', (e) => { touchX = e.touches.length === 1 ? e.touches[0].clientX : null; }, { passive: true });
  viewer.addEventListener('touchend', (e) => {
    if (touchX === null) return;
    const dx = e.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(dx) > 50) show(current + (dx < 0 ? 1 : -1));
  });

  function say(text) {
    toast.textContent = text;
    toast.classList.add('show');
    clearTimeout(say.timer);
    say.timer = setTimeout(() => toast.classList.remove('show'), 2500);
  }

  // Later pages load as the end of the grid comes into view (or on "Load more").
  const more = document.getElementById('more');
  let total = Number(count.dataset.total ?? tiles().length);
  let loading = false;
  async function loadMore() {
    const cursor = grid.dataset.nextCursor;
    if (!cursor || loading) return;
    loading = true;
    try {
      const response = await fetch(`${api}?cursor=${encodeURIComponent(cursor)}&limit=120`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const page = await response.json();
      for (const p of page.photos) {
        const day = (p.takenAt ?? p.receivedAt).slice(0, 10);
        const last = grid.lastElementChild;
        if (!last || last.dataset.day !== day) grid.appendChild(dayHeading(day));
        grid.appendChild(tileFor(p));
      }
      if (page.nextCursor) grid.dataset.nextCursor = page.nextCursor;
      else {
        delete grid.dataset.nextCursor;
        more.hidden = true;
      }
    } catch {
      say('Could not load more photos. Check your connection and scroll again.');
    } finally {
      loading = false;
    }
  }
  function tileFor(p) {
    const li = document.createElement('li');
    li.className = 'tile';
    li.dataset.id = p.id;
    li.dataset.day = (p.takenAt ?? p.receivedAt).slice(0, 10);
    const link = document.createElement('a');
    link.href = p.url;
    link.dataset.full = p.url;
    link.dataset.download = p.downloadUrl;
    link.dataset.received = p.receivedAt;
    if (p.takenAt) link.dataset.taken = p.takenAt;
    const img = document.createElement('img');
    img.src = p.thumbnailUrl;
    img.alt = p.takenAt ? `Photo taken ${when(p.takenAt)}` : `Photo received ${when(p.receivedAt)}`;
    img.loading = 'lazy';
    img.decoding = 'async';
    img.width = 240;
    img.height = 240;
    link.appendChild(img);
    li.appendChild(link);
    const source = p.groupName || p.group;
    if (source) {
      link.dataset.source = source;
      const span = document.createElement('span');
      span.className = 'source';
      span.textContent = source;
      li.appendChild(span);
    }
    const button = document.createElement('button');
    button.className = 'not-me';
    button.type = 'button';
    button.title = 'This is not me: remove it, and I will not receive that face again';
    button.textContent = 'Not me';
    li.appendChild(button);
    return li;
  }
  if (more) {
    document.getElementById('load-more').addEventListener('click', (event) => {
      event.preventDefault();
      void loadMore();
    });
    if ('IntersectionObserver' in window) {
      new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) void loadMore();
      }, { rootMargin: '800px' }).observe(more);
    }
  }

  function updateCount() {
    const n = total;
    count.textContent = n === 0 ? 'No photos yet' : n === 1 ? '1 photo' : `${n} photos`;
    empty.hidden = n !== 0;
    downloadAll.hidden = n === 0;
  }

  // The "not me" list, each with an undo (album/README.md).
  const rejections = document.getElementById('rejections');
  const rejectionList = document.getElementById('rejection-list');
  function addRejection(id) {
    if (!rejections || !rejectionList || rejectionList.querySelector(`li[data-id="${id}"]`)) return;
    const li = document.createElement('li');
    li.dataset.id = id;
    const text = document.createElement('span');
    text.textContent = `A face you marked "not me" on ${when(new Date().toISOString())}`;
    const undo = document.createElement('button');
    undo.type = 'button';
    undo.className = 'button undo-not-me';
    undo.textContent = 'Undo';
    li.append(text, ' ', undo);
    rejectionList.prepend(li);
    rejections.hidden = false;
  }
  rejectionList?.addEventListener('click', async (event) => {
    const button = event.target.closest('.undo-not-me');
    if (!button) return;
    const li = button.closest('li');
    button.disabled = true;
    try {
      const response = await fetch(`${api}/rejections/${li.dataset.id}`, { method: 'DELETE' });
      if (!response.ok && response.status !== 404) throw new Error(`HTTP ${response.status}`);
      li.remove();
      rejections.hidden = rejectionList.children.length === 0;
      say('Undone: photos of that face reach your album again');
    } catch {
      button.disabled = false;
      say('Could not undo. Check your connection and try again.');
    }
  });

  // "Not me": the photo leaves the album and the album refuses that face from then on (album/README.md).
  async function rejectTile(tile) {
    if (!tile) return false;
    if (!window.confirm('Not you? This removes the photo and stops this face from reaching your album (you can undo it at the bottom of the page). Sure?')) return false;
    tile.classList.add('removing');
    try {
      const response = await fetch(`${api}/photos/${tile.dataset.id}/not-me`, { method: 'POST' });
      if (!response.ok && response.status !== 404) throw new Error(`HTTP ${response.status}`);
      tile.remove();
      dropEmptyDays();
      total -= 1;
      updateCount();
      say('Removed: that face will not be sent to you again');
      addRejection(tile.dataset.id);
      return true;
    } catch {
      tile.classList.remove('removing');
      say('Could not remove the photo. Check your connection and try again.');
      return false;
    }
  }

  notMe.addEventListener('click', async () => {
    const index = current;
    if (!(await rejectTile(tiles()[index]))) return;
    const left = tiles().length;
    if (left === 0) close();
    else show(Math.min(index, left - 1));
  });

  remove.addEventListener('click', async () => {
    const list = tiles();
    const tile = list[current];
    if (!tile) return;
    if (!window.confirm('Delete this photo from your album? This cannot be undone.')) return;
    const index = current;
    tile.classList.add('removing');
    try {
      const response = await fetch(`${api}/photos/${tile.dataset.id}`, { method: 'DELETE' });
      if (!response.ok && response.status !== 404) throw new Error(`HTTP ${response.status}`);
      tile.remove();
      dropEmptyDays();
      total -= 1;
      updateCount();
      say('Photo deleted');
      const left = tiles().length;
      if (left === 0) close();
      else show(Math.min(index, left - 1));
    } catch {
      tile.classList.remove('removing');
      say('Could not delete the photo. Check your connection and try again.');
    }
  });

  // Owner actions: a new link (the old one stops working) and deleting the whole album.
  document.getElementById('new-link').addEventListener('click', async () => {
    if (!window.confirm('Get a new link? The current link stops working at once; save the new one.')) return;
    try {
      const response = await fetch(`${api}/token`, { method: 'POST' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { token } = await response.json();
      window.location.replace(`/a/${encodeURIComponent(token)}`);
    } catch {
      say('Could not make a new link. Try again.');
    }
  });

  document.getElementById('delete-album').addEventListener('click', async () => {
    if (!window.confirm('Delete this album and every photo in it? This cannot be undone.')) return;
    try {
      const response = await fetch(api, { method: 'DELETE' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      window.location.reload();
    } catch {
      say('Could not delete the album. Try again.');
    }
  });
})();
