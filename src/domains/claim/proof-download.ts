import type { IncomingMessage, ServerResponse } from 'node:http';
import { accessibleBy } from '../../auth/ability.ts';
import type { AppServices } from '../../context.ts';
import { downloadContext, failDownload, sendFile } from '../../http/downloads.ts';

const ROUTE = /^\/(claims|cancellations)\/([0-9a-f-]{36})\/proof$/;

/** Whether the path is a proof download: GET /claims/<claim id>/proof or /cancellations/<cancellation id>/proof. */
export function isProofDownload(path: string | undefined): boolean {
  return path !== undefined && ROUTE.test(path);
}

/**
 * Serves the proof attached to a claim or a cancellation to whoever may read that claim or cancellation (the
 * institution that decides it, the claimant or bidder, the admin); anyone else gets 404.
 */
export async function serveProof(app: AppServices, req: IncomingMessage, res: ServerResponse, source: { requestId: string; clientAddress?: string }): Promise<void> {
  const [, kind, id = ''] = ROUTE.exec(req.url!.split('?')[0]!)!;
  const ctx = await downloadContext(app, req, res, source);
  if (!ctx) return;
  const tenantId = ctx.tenant!.id;
  const owner =
    kind === 'claims'
      ? await ctx.db.claim.findFirst({ where: { AND: [{ id, tenantId }, accessibleBy(ctx.ability, 'read').ofType('Claim')] }, select: { proofFileId: true } })
      : await ctx.db.cancellation.findFirst({ where: { AND: [{ id, tenantId }, accessibleBy(ctx.ability, 'read').ofType('Cancellation')] }, select: { proofFileId: true } });
  if (!owner) return failDownload(res, 404, 'NOT_FOUND', 'Not found');
  const file = await ctx.db.storedFile.findUniqueOrThrow({ where: { id: owner.proofFileId } });
  const extension = { 'application/pdf': 'pdf', 'application/zip': 'zip', 'image/png': 'png', 'image/jpeg': 'jpg' }[file.mimeType] ?? 'bin';
  sendFile(res, file, `${kind === 'claims' ? '索赔证明' : '注销证明'}(${id.slice(0, 8)}).${extension}`, { 'x-content-sha256': file.sha256 });
}
