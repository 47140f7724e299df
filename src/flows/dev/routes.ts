import Router from '@koa/router';
import type { AppDeps } from '../../app/deps.ts';
import { localOnly } from '../../http/client.ts';
import { render } from '../../http/views.ts';
import { listOutbox, type OutboxMessage } from '../../store/outbox.ts';

const LIMIT = 100;

function recipientFilter(q: unknown): string | undefined {
  return typeof q === 'string' && q !== '' ? q.slice(0, 320) : undefined;
}

const toJson = (m: OutboxMessage) => ({
  id: m.id,
  createdAt: m.createdAt.toISOString(),
  channel: m.channel,
  to: m.recipient,
  locale: m.locale,
  purpose: m.purpose,
  subject: m.subject,
  text: m.bodyText,
  html: m.bodyHtml,
});

/**
 * Development only (mounted when not in production): the messages the outbox kept instead of
 * sending, newest first, so a developer can read codes and notices. `?to=` narrows to one recipient.
 * It holds codes, so it answers only requests from this machine (by the socket address; a forwarded
 * address can only refuse, never admit). Messages are swept after 24 hours (store/outbox.ts).
 */
export function devRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/dev' });
  router.use(localOnly(deps.config.proxy));

  router.get('/outbox', async (ctx) => {
    const messages = await listOutbox(deps.db, LIMIT, recipientFilter(ctx.query.to));
    render(ctx, deps.views, 'dev/outbox', { messages });
  });

  router.get('/outbox.json', async (ctx) => {
    const messages = await listOutbox(deps.db, LIMIT, recipientFilter(ctx.query.to));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = messages.map(toJson);
  });

  return router;
}
