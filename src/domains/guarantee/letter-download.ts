import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { accessibleBy } from '../../auth/ability.ts';
import { createContext, type AppServices } from '../../context.ts';
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
export async function serveLetter(
  app: AppServices,
  req: IncomingMessage,
  res: ServerResponse,
  source: { requestId: string; clientAddress?: string },
): Promise<void> {
  const [, id, form] = ROUTE.exec(req.url!.split('?')[0]!)!;
  let ctx;
  try {
    ctx = await createContext(app, { ...source, header: (name) => headerOf(req, name) });
  } catch (error) {
    if (error instanceof GraphQLError) return fail(res, 401, String(error.extensions.code ?? 'UNAUTHENTICATED'), error.message);
    throw error;
  }
  if (!ctx.viewer || !ctx.tenant) return fail(res, 401, 'UNAUTHENTICATED', 'Log in to download letters');
  const guarantee = await ctx.db.guarantee.findFirst({
    where: { AND: [{ id }, { tenantId: ctx.tenant.id }, accessibleBy(ctx.ability, 'read').ofType('Guarantee')] },
    include: { order: { select: { number: true } } },
  });
  if (!guarantee) return fail(res, 404, 'NOT_FOUND', 'Guarantee was not found');
  const fileId = form === 'plain' ? guarantee.plainLetterId : guarantee.sealedLetterId;
  if (!fileId) {
    return form === 'plain'
      ? fail(res, 409, 'LETTER_SEALED', 'The letter stays sealed until the bid opening; download the sealed file')
      : fail(res, 404, 'NOT_FOUND', 'This letter was never sealed; download the plain file');
  }
  const file = await ctx.db.storedFile.findUniqueOrThrow({ where: { id: fileId } });
  const name = letterFileName(guarantee.order?.number ?? guarantee.number, form === 'sealed');
  res.writeHead(200, {
    'content-type': file.mimeType,
    'content-length': String(file.size),
    'content-disposition': `attachment; filename="letter.${form === 'sealed' ? 'sealed' : 'pdf'}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    'x-letter-digest': guarantee.letterDigest ?? '',
    'cache-control': 'private, no-store',
  });
  res.end(Buffer.from(file.content));
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
