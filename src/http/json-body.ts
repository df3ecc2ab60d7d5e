import type { IncomingMessage } from 'node:http';

/** The largest JSON GraphQL request body accepted (uploads are multipart and keep Yoga's own, larger limit). */
export const JSON_BODY_MAX_BYTES = 1024 * 1024;

/** A POST whose body is JSON: the requests the front ends send all day (queries and mutations without files). */
export function isJsonPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const type = req.headers['content-type'];
  return type !== undefined && /^application\/(?:graphql\+)?json(?:;|,|$)/.test(type);
}

export type JsonBody = { kind: 'parsed'; body: Record<string, unknown> } | { kind: 'raw'; body: string } | { kind: 'too-large' };

/**
 * Reads a JSON request body from the socket, counting bytes as they arrive (a missing or false Content-Length
 * changes nothing). A plain object comes back parsed, so Yoga takes it as the request's parsed body instead of
 * piping the stream through its own byte-counting TransformStream, which costs an AbortController, a DOMException
 * and several promise hops per request in Node 20 (issue 9's profile). Anything else (malformed JSON, an array, an
 * empty object) comes back as text for Yoga to refuse with its usual error.
 */
export async function readJsonBody(req: IncomingMessage, limit = JSON_BODY_MAX_BYTES): Promise<JsonBody> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) return { kind: 'too-large' };
  const bytes = await readBody(req, limit);
  if (!bytes) return { kind: 'too-large' };
  const text = bytes.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.keys(parsed).length > 0) {
      return { kind: 'parsed', body: parsed as Record<string, unknown> };
    }
  } catch {
    // Yoga answers malformed JSON with its own error.
  }
  return { kind: 'raw', body: text };
}

/** A request body, counted as it arrives; undefined past `limit` bytes (a false Content-Length changes nothing). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
