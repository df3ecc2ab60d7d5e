import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { createContext, type AppServices, type Context } from '../context.ts';
import { sendJson } from './send.ts';

/**
 * The request context of a file download: the same authentication as the API (bearer token). Answers 401 itself
 * and returns undefined when the caller is not logged in.
 */
export async function downloadContext(
  app: AppServices,
  req: IncomingMessage,
  res: ServerResponse,
  source: { requestId: string; clientAddress?: string },
): Promise<Context | undefined> {
  try {
    const ctx = await createContext(app, { ...source, header: (name) => headerOf(req, name) });
    if (ctx.viewer && ctx.tenant) return ctx;
    failDownload(res, 401, 'UNAUTHENTICATED', 'Log in to download files');
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    failDownload(res, 401, String(error.extensions.code ?? 'UNAUTHENTICATED'), error.message);
  }
  return undefined;
}

/** Sends a stored file as an attachment under its Chinese name (RFC 6266 `filename*`), never cached by proxies. */
export function sendFile(
  res: ServerResponse,
  file: { mimeType: string; size: number; content: Uint8Array },
  name: string,
  headers: Record<string, string> = {},
): void {
  const extension = name.split('.').pop() ?? 'bin';
  res.writeHead(200, {
    'content-type': file.mimeType,
    'content-length': String(file.size),
    'content-disposition': `attachment; filename="download.${extension}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    'cache-control': 'private, no-store',
    ...headers,
  });
  res.end(Buffer.from(file.content));
}

export function failDownload(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
