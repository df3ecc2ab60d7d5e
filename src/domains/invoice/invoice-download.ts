import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { createContext, type AppServices } from '../../context.ts';
import { invoiceFileName, readableInvoices } from './invoice.service.ts';

const ROUTE = /^\/invoices\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/file$/;

/** Whether the path is an invoice download: GET /invoices/<invoice id>/file. */
export function isInvoiceDownload(path: string | undefined): boolean {
  return path !== undefined && ROUTE.test(path);
}

/**
 * Serves an issued electronic invoice over HTTP with the same authorization as the API (bearer token; CASL read rule
 * on the invoice): the bidder its own, the institution its own, the admin its tenant's. An invoice the caller may not
 * read answers 404, as if it did not exist; one not issued yet 409 INVOICE_NOT_ISSUED; a paper one 404.
 */
export async function serveInvoice(
  app: AppServices,
  req: IncomingMessage,
  res: ServerResponse,
  source: { requestId: string; clientAddress?: string },
): Promise<void> {
  const [, id] = ROUTE.exec(req.url!.split('?')[0]!)!;
  let ctx;
  try {
    ctx = await createContext(app, { ...source, header: (name) => headerOf(req, name) });
  } catch (error) {
    if (error instanceof GraphQLError) return fail(res, 401, String(error.extensions.code ?? 'UNAUTHENTICATED'), error.message);
    throw error;
  }
  if (!ctx.viewer || !ctx.tenant) return fail(res, 401, 'UNAUTHENTICATED', 'Log in to download invoices');
  const invoice = await ctx.db.invoice.findFirst({ where: { AND: [{ id }, { tenantId: ctx.tenant.id }, readableInvoices(ctx)] } });
  if (!invoice) return fail(res, 404, 'NOT_FOUND', 'Invoice was not found');
  if (invoice.status !== 'ISSUED') return fail(res, 409, 'INVOICE_NOT_ISSUED', 'The invoice has not been issued yet');
  if (!invoice.fileId) return fail(res, 404, 'NOT_FOUND', 'A paper invoice has no file; it was posted');
  const file = await ctx.db.storedFile.findFirstOrThrow({ where: { id: invoice.fileId, tenantId: invoice.tenantId } });
  const name = invoiceFileName(invoice, file.mimeType);
  res.writeHead(200, {
    'content-type': file.mimeType,
    'content-length': String(file.size),
    'content-disposition': `attachment; filename="invoice.${name.split('.').pop()}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    'x-content-sha256': file.sha256,
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
