import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Sends a whole text answer with its length. `writeHead` fixes the headers at once, and without a Content-Length
 * node:http would send the body chunked, where Yoga's Response (and any client reading a known body) expects its length.
 */
export function sendText(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Sends `value` as a JSON answer (health checks, refusals before GraphQL runs, download errors). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendText(res, status, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(value));
}
