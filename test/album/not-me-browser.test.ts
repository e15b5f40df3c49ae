// The album page's "not me" and its day grouping in real headless Chromium: the photo leaves the album, the
// album refuses that face from then on and the terminal learns it from the refusal; an album of a few
// hundred photos loads every one as it is scrolled, under one heading per day.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, newToken } from '../../album/records.ts';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { createAccount } from '../../core/share/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { albumTestConfig, bbt, fileTempDir, sha256 } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`album "not me" browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!hasChromium)('album page: "not me" and photos by day, in headless Chromium', () => {
  const tmp = fileTempDir('facedrop-album-notme-');
  let engine: FaceEngine;
  let store: Records;
  let server: AlbumServer;
  let terminal: Terminal;
  let browser: Browser;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    store = await openRecords(`sqlite://${path.join(tmp.dir, 'album.sqlite')}`);
    server = await startAlbumServer(albumTestConfig(path.join(tmp.dir, 'album')), { records: store, engine });
    const config = loadConfig({ DATA_DIR: path.join(tmp.dir, 'terminal'), STORE_URL: `sqlite://${path.join(tmp.dir, 'terminal.sqlite')}`, FACE_THREADS: '2', LOG_LEVEL: 'silent' }, { dotenv: false });
    terminal = await openTerminal(config, { engine });
    for (const m of ['sheldon', 'leonard']) {
      const selfie = fs.readFileSync(bbt(`${m}/${m}1.png`));
      tokens[m] = (await createAccount(server.url, m, [selfie])).token;
      await terminal.contacts.add('lab', { name: m, album: server.url, username: m, selfies: [selfie] });
    }
    await terminal.records.notices.setGroupName('lab', 'Physics Lab');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  afterAll(async () => {
    await browser?.close();
    await terminal?.close();
    await server?.close();
    await store?.close();
    await engine?.close();
    tmp.remove();
  });

  const albumIds = async (member: string) => ((await (await fetch(`${server.url}/api/albums/${tokens[member]!}`)).json()) as { photos: Array<{ id: string; groupName?: string }> }).photos;

  it('[2] "not me" on the album page removes the photo; the same face shared again does not reach that member; the other member is unchanged', async () => {
    const photo = fs.readFileSync(bbt('group/bbt2.jpg')); // leonard and sheldon
    const first = await terminal.sharer.share(photo, { group: 'lab', filename: 'bbt2.jpg' });
    expect(first.deliveries.map((d) => [d.name, d.outcome.kind]).sort()).toEqual([
      ['leonard', 'delivered'],
      ['sheldon', 'delivered'],
    ]);
    expect((await albumIds('sheldon'))[0]?.groupName).toBe('Physics Lab');

    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    page.on('response', (r) => r.status() >= 400 && failures.push(`${r.status()} ${new URL(r.url()).pathname.replace(/\/(a|albums)\/[^/]+/, '/$1/[token]')}`));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${server.url}/a/${tokens.sheldon!}`);
    await expect.poll(() => page.locator('.tile').count()).toBe(1);
    expect(await page.locator('.tile .source').textContent()).toBe('Physics Lab');
    expect(await page.locator('.day h2').count()).toBe(1);
    await page.locator('.tile .not-me').click();
    await expect.poll(() => page.locator('.tile').count()).toBe(0);
    expect(await page.locator('.day').count()).toBe(0);
    expect(await page.locator('#empty').isVisible()).toBe(true);
    expect(failures).toEqual([]);
    await page.close();
    expect(await albumIds('sheldon')).toEqual([]);

    // Shared again, as another encoding (the terminal sends nothing for a photo it already delivered): the album
    // refuses the face sheldon rejected, and says so; leonard gets the new copy.
    const copy = await sharp(photo).jpeg({ quality: 90 }).toBuffer();
    const again = await terminal.sharer.share(copy, { group: 'lab', filename: 'bbt2-copy.jpg' });
    const outcome = (name: string) => again.deliveries.find((d) => d.name === name)?.outcome;
    expect(outcome('sheldon')).toMatchObject({ kind: 'refused', status: 422, code: 'rejected_by_owner' });
    expect(outcome('leonard')?.kind).toBe('delivered');
    // The terminal learned it from that answer: the third time, the face is not even sent to sheldon.
    const third = await terminal.sharer.share(photo, { group: 'lab', filename: 'bbt2.jpg' });
    expect(third.deliveries.map((d) => [d.name, d.outcome.kind])).toEqual([['leonard', 'duplicate']]);
    expect(third.matches.some((m) => m.kind === 'stranger' && m.reason === 'not_me')).toBe(true);
    expect(await albumIds('sheldon')).toEqual([]);
    expect((await albumIds('leonard')).map((p) => p.id).sort()).toEqual([sha256(photo), sha256(copy)].sort());

    // Issue 26: the page lists the "not me" with an undo; after it the album accepts that face again.
    const again2 = await browser.newPage();
    again2.on('dialog', (d) => void d.accept());
    await again2.goto(`${server.url}/a/${tokens.sheldon!}`);
    expect(await again2.locator('#rejections').isVisible()).toBe(true);
    await again2.locator('#rejections .undo-not-me').click();
    await expect.poll(() => again2.locator('#rejection-list li').count()).toBe(0);
    expect(await again2.locator('#rejections').isVisible()).toBe(false);
    await again2.close();
    expect((await (await fetch(`${server.url}/api/albums/${tokens.sheldon!}/rejections`)).json()) as unknown).toEqual({ rejections: [] });
  });

  it('[4] groups photos by day and loads an album of 300 photos as it is scrolled', async () => {
    const token = newToken();
    await store.albums.createAccount({ username: 'many', createdAt: new Date().toISOString(), tokenHash: hashToken(token), descriptorModel: 'm', references: [] });
    const thumb = await sharp({ create: { width: 48, height: 48, channels: 3, background: '#7a9' } }).jpeg().toBuffer();
    const dir = path.join(tmp.dir, 'album', 'albums', 'many', 'thumbs');
    fs.mkdirSync(dir, { recursive: true });
    const PHOTOS = 300;
    const days = new Set<string>();
    for (let i = 0; i < PHOTOS; i++) {
      const id = sha256(Buffer.from(`photo ${i}`));
      // 60 photos a day over five days.
      const receivedAt = new Date(Date.UTC(2026, 10, 1 + Math.floor(i / 60), 9) + (i % 60) * 60_000).toISOString();
      days.add(receivedAt.slice(0, 10));
      fs.writeFileSync(path.join(dir, `${id}.jpg`), thumb);
      await store.albums.addPhoto('many', { id, ext: 'jpg', mime: 'image/jpeg', bytes: 10, width: 48, height: 48, receivedAt, group: 'tg:-1', groupName: i % 2 ? 'Physics Lab' : 'Family', faceBox: { x: 0, y: 0, width: 1, height: 1 }, distance: 0.3 });
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    page.on('response', (r) => r.status() >= 400 && failures.push(`${r.status()} ${new URL(r.url()).pathname.replace(/\/(a|albums)\/[^/]+/, '/$1/[token]')}`));
    await page.goto(`${server.url}/a/${token}`);
    expect(await page.locator('.tile').count()).toBeLessThan(PHOTOS); // the first page only
    // Scroll to the end until every page has loaded.
    await expect
      .poll(
        async () => {
          await page.mouse.wheel(0, 20_000);
          return page.locator('.tile').count();
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(PHOTOS);
    expect(await page.locator('#more').isHidden()).toBe(true);
    const ids = await page.locator('.tile').evaluateAll((tiles) => tiles.map((t) => (t as HTMLElement).dataset.id));
    expect(new Set(ids).size).toBe(PHOTOS);
    // One heading per day, newest day first, each followed only by that day's photos.
    const layout = await page.locator('#grid > li').evaluateAll((items) => items.map((li) => [li.className, (li as HTMLElement).dataset.day]));
    const headings = layout.filter(([c]) => c === 'day').map(([, d]) => d);
    expect(headings).toEqual([...days].sort().reverse());
    let day: string | undefined;
    for (const [kind, d] of layout) {
      if (kind === 'day') day = d;
      else expect(d).toBe(day);
    }
    expect(await page.locator('.tile .source').first().textContent()).toMatch(/Physics Lab|Family/);
    expect(failures).toEqual([]);
    await page.close();
  });
});
