import type { IncomingMessage, ServerResponse } from 'node:http';
import { accessibleBy } from '../../auth/ability.ts';
import type { AppServices } from '../../context.ts';
import { downloadContext, failDownload, sendFile } from '../../http/downloads.ts';
import { letterFileName } from './guarantee.types.ts';

const ROUTE = /^\/letters\/([0-9a-f-]{36})\/(sealed|plain)$/;

/** Whether the path is a letter download: GET /letters/<guarantee id>/sealed|plain. */
export function isLetterDownload(path: string | undefined): boolean {
  return path !== undefined && ROUTE.test(path);
}

/**
 * Serves a letter over HTTP with the same authorization as the API (bearer token; CASL read rule on the guarantee):
 * the sealed file while sealed, the plain PDF only once unsealed (409 LETTER_SEALED before). A guarantee the caller may
 * not read answers 404, as if it did not exist.
 */
export async function serveLetter(app: AppServices, req: IncomingMessage, res: ServerResponse, source: { requestId: string; clientAddress?: string }): Promise<void> {
  const [, id, form] = ROUTE.exec(req.url!.split('?')[0]!)!;
  const ctx = await downloadContext(app, req, res, source);
  if (!ctx) return;
  const guarantee = await ctx.db.guarantee.findFirst({
    where: { AND: [{ id }, { tenantId: ctx.tenant!.id }, accessibleBy(ctx.ability, 'read').ofType('Guarantee')] },
    include: { order: { select: { number: true } } },
  });
  if (!guarantee) return failDownload(res, 404, 'NOT_FOUND', 'Guarantee was not found');
  const fileId = form === 'plain' ? guarantee.plainLetterId : guarantee.sealedLetterId;
  if (!fileId) {
    return form === 'plain'
      ? failDownload(res, 409, 'LETTER_SEALED', 'The letter stays sealed until the bid opening; download the sealed file')
      : failDownload(res, 404, 'NOT_FOUND', 'This letter was never sealed; download the plain file');
  }
  const file = await ctx.db.storedFile.findUniqueOrThrow({ where: { id: fileId } });
  sendFile(res, file, letterFileName(guarantee.order?.number ?? guarantee.number, form === 'sealed'), { 'x-letter-digest': guarantee.letterDigest ?? '' });
}
