/**
 * A keep-alive HTTP/1.1 client for the paced rows (scripts/bench/load.ts pacedLoad): a POST written in one send, its
 * answer read by Content-Length or chunked transfer coding, at most `connections` sockets, callers beyond them queued
 * in order. node:http's client cost the bench process about 1 ms of CPU per paced request (its socket, parser and
 * stream objects, per request), on the two cores the servers it measures share; this costs a fraction of that. It
 * reads exactly what the servers here answer (`test/unit/bench-http-client.test.ts`); anything else fails the request.
 */
import net from 'node:net';

export interface Answer {
  status: number;
  body: string;
}

interface Pending {
  payload: Buffer;
  resolve: (answer: Answer) => void;
  reject: (error: Error) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** Idle sockets older than this are not reused: below node:http's default keep-alive timeout of 5 s. */
const IDLE_MS = 3_000;

/** The answer at the start of `data`, and how many bytes it took; undefined while it is incomplete. */
export function parseAnswer(data: Buffer): { answer: Answer; length: number } | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = data.toString('latin1', 0, headerEnd);
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1];
  if (!status) throw new Error(`not an HTTP/1.1 status line: ${lines[0]!.slice(0, 80)}`);
  let contentLength: number | undefined;
  let chunked = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') contentLength = Number(value);
    else if (name === 'transfer-encoding') chunked = value.toLowerCase().split(',').map((part) => part.trim()).includes('chunked');
  }
  const bodyStart = headerEnd + 4;
  if (chunked) {
    const parts: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = data.indexOf('\r\n', at, 'latin1');
      if (lineEnd < 0) return undefined;
      const size = parseInt(data.toString('latin1', at, lineEnd).split(';')[0]!, 16);
      if (!Number.isFinite(size)) throw new Error('malformed chunk size');
      const chunkStart = lineEnd + 2;
      if (size === 0) {
        // No trailers from these servers: the last chunk is followed by an empty line.
        if (data.length < chunkStart + 2) return undefined;
        return { answer: { status: Number(status), body: Buffer.concat(parts).toString('utf8') }, length: chunkStart + 2 };
      }
      if (data.length < chunkStart + size + 2) return undefined;
      parts.push(data.subarray(chunkStart, chunkStart + size));
      at = chunkStart + size + 2;
    }
  }
  if (contentLength === undefined || !Number.isInteger(contentLength) || contentLength < 0) throw new Error('an answer without a length');
  if (data.length < bodyStart + contentLength) return undefined;
  return { answer: { status: Number(status), body: data.toString('utf8', bodyStart, bodyStart + contentLength) }, length: bodyStart + contentLength };
}

export class HttpClient {
  private readonly idle: net.Socket[] = [];
  private readonly queue: Pending[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly idleSince = new WeakMap<net.Socket, number>();
  private readonly host: string;
  private readonly port: number;
  private readonly head: string;

  constructor(
    url: string,
    headers: Record<string, string>,
    private readonly connections: number,
    private readonly idleMs = IDLE_MS,
  ) {
    const { hostname, port, pathname, search, host } = new URL(url);
    this.host = hostname;
    this.port = Number(port || 80);
    const lines = [`POST ${pathname}${search} HTTP/1.1`, `Host: ${host}`, 'Connection: keep-alive'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    this.head = lines.join('\r\n');
  }

  /** POST `body` (JSON): the answer's status and body. */
  post(body: string): Promise<Answer> {
    const bytes = Buffer.byteLength(body);
    const payload = Buffer.from(`${this.head}\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n\r\n${body}`);
    return new Promise<Answer>((resolve, reject) => {
      this.queue.push({ payload, resolve, reject });
      this.next();
    });
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.idle.length = 0;
  }

  private next(): void {
    // A socket idle for longer than servers keep one open (node:http's keepAliveTimeout, 5 s) is closed here instead
    // of reused: the server's close could cross a request sent on it. The oldest idle sockets are first in the list.
    const now = performance.now();
    while (this.idle.length > 0 && now - this.idleSince.get(this.idle[0]!)! > this.idleMs) {
      const stale = this.idle.shift()!;
      this.sockets.delete(stale);
      stale.destroy();
    }
    while (this.queue.length > 0) {
      const socket = this.idle.pop() ?? (this.sockets.size < this.connections ? this.open() : undefined);
      if (!socket) return;
      this.send(socket, this.queue.shift()!);
    }
  }

  private open(): net.Socket {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.sockets.add(socket);
    // A socket the server closes while idle (its keep-alive timeout) leaves the pool; one in use fails its request.
    const forget = () => {
      this.sockets.delete(socket);
      const at = this.idle.indexOf(socket);
      if (at >= 0) this.idle.splice(at, 1);
    };
    socket.on('close', forget);
    socket.on('error', forget);
    return socket;
  }

  private send(socket: net.Socket, pending: Pending): void {
    let data: Buffer = Buffer.alloc(0);
    const done = (error?: Error, answer?: Answer) => {
      socket.off('data', onData);
      socket.off('error', onFailure);
      socket.off('close', onClose);
      if (error) {
        this.sockets.delete(socket);
        socket.destroy();
        pending.reject(error);
      } else {
        this.idleSince.set(socket, performance.now());
        this.idle.push(socket);
        pending.resolve(answer!);
      }
      this.next();
    };
    const onData = (chunk: Buffer) => {
      data = data.length === 0 ? chunk : Buffer.concat([data, chunk]);
      let parsed;
      try {
        parsed = parseAnswer(data);
      } catch (error) {
        return done(error as Error);
      }
      if (!parsed) return;
      if (parsed.length !== data.length) return done(new Error('bytes after the answer'));
      done(undefined, parsed.answer);
    };
    const onFailure = (error: Error) => done(error);
    const onClose = () => done(new Error('connection closed before the answer'));
    socket.on('data', onData);
    socket.on('error', onFailure);
    socket.on('close', onClose);
    socket.write(pending.payload);
  }
}
