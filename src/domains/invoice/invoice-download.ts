import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppServices } from '../../context.ts';
import { downloadContext, failDownload, sendFile } from '../../http/downloads.ts';
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
export async function serveInvoice(app: AppServices, req: IncomingMessage, res: ServerResponse, source: { requestId: string; clientAddress?: string }): Promise<void> {
  const [, id] = ROUTE.exec(req.url!.split('?')[0]!)!;
  const ctx = await downloadContext(app, req, res, source);
  if (!ctx) return;
  const invoice = await ctx.db.invoice.findFirst({ where: { AND: [{ id }, { tenantId: ctx.tenant!.id }, readableInvoices(ctx)] } });
  if (!invoice) return failDownload(res, 404, 'NOT_FOUND', 'Invoice was not found');
  if (invoice.status !== 'ISSUED') return failDownload(res, 409, 'INVOICE_NOT_ISSUED', 'The invoice has not been issued yet');
  if (!invoice.fileId) return failDownload(res, 404, 'NOT_FOUND', 'A paper invoice has no file; it was posted');
  const file = await ctx.db.storedFile.findFirstOrThrow({ where: { id: invoice.fileId, tenantId: invoice.tenantId } });
  sendFile(res, file, invoiceFileName(invoice, file.mimeType), { 'x-content-sha256': file.sha256 });
}
