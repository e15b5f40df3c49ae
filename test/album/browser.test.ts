// The album page in real headless Chromium: thumbnails, the full-size viewer, deleting a photo, and screenshots for a person to look at.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { openRecords, type Records } from '../../core/records/index.ts';
import { albumTestConfig, bbt, fileTempDir, formOf } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-output');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`album browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!hasChromium)('album page in headless Chromium', () => {
  const tmp = fileTempDir('facedrop-album-browser-');
  let engine: FaceEngine;
  let store: Records;
  let server: AlbumServer;
  let browser: Browser;
  let albumUrl = '';

  beforeAll(async () => {
    engine = createFaceEngine({ threads: 2 });
    store = await openRecords(`sqlite://${path.join(tmp.dir, 'store.sqlite')}`);
    server = await startAlbumServer(albumTestConfig(tmp.dir), { records: store, engine });
    const created = await fetch(`${server.url}/api/accounts`, {
      method: 'POST',
      body: formOf({ username: 'sheldon' }, [{ field: 'face', bytes: fs.readFileSync(bbt('sheldon/sheldon1.png')) }]),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    albumUrl = `${server.url}/a/${token}`; // PUBLIC_URL is a placeholder in tests; the page is served here
    for (const photo of ['group/bbt2.jpg', 'group/bbt4.jpg', 'group/bbt5.jpg']) {
      const res = await fetch(`${server.url}/api/upload`, { method: 'POST', body: formOf({ username: 'sheldon' }, [{ field: 'picture', bytes: fs.readFileSync(bbt(photo)) }]) });
      expect(res.status, photo).toBe(201);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    await engine?.close();
    tmp.remove();
  });

  it('shows the thumbnails newest first, opens one full size, deletes one, and shows the empty state at the end', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    page.on('console', (m) => m.type() === 'error' && failures.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && failures.push(`${r.status()} ${new URL(r.url()).pathname.replace(/\/(a|albums)\/[^/]+/, '/$1/[token]')}`));
    page.on('dialog', (d) => void d.accept());

    await page.goto(albumUrl);
    await expect.poll(() => page.locator('.tile img').evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length)).toBe(3);
    expect(await page.locator('h1').textContent()).toBe("sheldon's photos");
    expect(await page.locator('#count').textContent()).toBe('3 photos');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'album-phone-grid.png'), fullPage: true });

    // Full-size view of the first (newest) photo.
    await page.locator('.tile a').first().click();
    await expect.poll(() => page.locator('#viewer').evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
    await expect.poll(() => page.locator('#viewer-image').evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(480);
    expect(await page.locator('#viewer-caption').textContent()).toContain('1 of 3');
    expect(await page.locator('#viewer-download').getAttribute('href')).toContain('?download=1');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'album-phone-viewer.png') });

    // Next photo, then delete it (the confirm dialog is accepted).
    await page.locator('#viewer-next').click();
    expect(await page.locator('#viewer-caption').textContent()).toContain('2 of 3');
    const doomed = await page.locator('.tile').nth(1).getAttribute('data-id');
    await page.locator('#viewer-delete').click();
    await expect.poll(() => page.locator('.tile').count()).toBe(2);
    expect(await page.locator(`.tile[data-id="${doomed}"]`).count()).toBe(0);
    expect(await page.locator('#count').textContent()).toBe('2 photos');
    await page.locator('#viewer-close').click();

    // The deletion reached the server: a reload shows two photos.
    await page.reload();
    await expect.poll(() => page.locator('.tile').count()).toBe(2);

    // A laptop-sized look.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'album-laptop-grid.png') });

    // Delete the rest from the viewer: the empty state appears.
    await page.locator('.tile a').first().click();
    await page.locator('#viewer-delete').click();
    await expect.poll(() => page.locator('.tile').count()).toBe(1);
    await page.locator('#viewer-delete').click();
    await expect.poll(() => page.locator('.tile').count()).toBe(0);
    expect(await page.locator('#empty').isVisible()).toBe(true);
    expect(await page.locator('#download-all').isVisible()).toBe(false);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'album-empty.png') });

    // A new link: the page moves to it, and the old one is dead.
    const oldUrl = page.url();
    await Promise.all([page.waitForURL((u) => u.href !== oldUrl), page.locator('#new-link').click()]);
    expect(await page.locator('h1').textContent()).toBe("sheldon's photos");
    expect((await fetch(oldUrl)).status).toBe(404);

    expect(failures).toEqual([]);
    await page.close();
  });

  it('shows a plain 404 page for an unknown album link', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/a/this-is-not-a-token`);
    expect(response?.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('This album link does not work');
    await page.close();
  });
});
