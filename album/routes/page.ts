import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AlbumContext } from '../app.ts';
import { renderAlbumPage, renderNotFoundPage } from '../views/page.ts';
import { accountKey } from '../records.ts';
import { photoPage } from './albums.ts';
import { tokenParamsSchema, type TokenParams } from './common.ts';

/** Photos in the page as served; more come from the API as the owner scrolls. */
const FIRST_PAGE = 120;

const ASSETS_DIR = path.join(import.meta.dirname, '..', 'views', 'assets');

// Scripts and styles come only from this server, and the page (whose URL is the album's key) sends no referrer.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
  'cache-control': 'no-store',
};

const sendPage = (reply: FastifyReply, status: number, html: string) =>
  reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);

export const pageRoutes: FastifyPluginAsync<AlbumContext> = async (app, ctx) => {
  // Only the page's own CSS and JS: photo files go through the token-checked routes in albums.ts.
  await app.register(fastifyStatic, {
    root: ASSETS_DIR,
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    maxAge: '1h',
  });

  app.get<{ Params: TokenParams; Querystring: { cursor?: string } }>(
    '/a/:token',
    { schema: { params: tokenParamsSchema, querystring: { type: 'object', properties: { cursor: { type: 'string', maxLength: 512 } } } } },
    async (request, reply) => {
    const account = await ctx.records.accountForToken(request.params.token);
    if (!account) return sendPage(reply, 404, renderNotFoundPage());
    // One page: the page script loads the next ones as the owner scrolls (without script, "Load more" links to it).
    const page = { limit: FIRST_PAGE, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) };
    const [{ photos, nextCursor }, total, rejections] = await Promise.all([photoPage(ctx, account.username, page), ctx.records.countPhotos(account.username), ctx.rejections.listRejections(accountKey(account.username))]);
    return sendPage(reply, 200, renderAlbumPage({ username: account.username, token: request.params.token, photos, total, nextCursor, rejections }));
    },
  );

  // Unknown API paths answer JSON; anything else the plain "not found" page.
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) return reply.code(404).send({ error: 'not_found', message: 'Nothing here.' });
    return sendPage(reply, 404, renderNotFoundPage());
  });
};
