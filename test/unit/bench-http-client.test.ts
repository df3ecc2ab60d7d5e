import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, parseAnswer } from '../../scripts/bench/http-client.ts';

// The paced rows' HTTP client (scripts/bench/http-client.ts): it must read whatever the servers measured answer, a
// length or chunks, over kept-alive sockets the server may close while they are idle.
let server: Server;
let url = '';
let open = 0;
let most = 0;
const seen: Array<{ method?: string; url?: string; type?: string; authorization?: string; body: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    open += 1;
    most = Math.max(most, open);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: request.method, url: request.url, type: request.headers['content-type'], authorization: request.headers.authorization, body });
      setTimeout(() => {
        open -= 1;
        if (request.url === '/chunked') {
          response.write('{"data":{"parts":["一",');
          response.end('"二"]}}');
        } else {
          response.writeHead(request.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { echo: body } }));
        }
      }, 5);
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('parseAnswer', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  it('reads an answer by its length, and waits for the rest of it', () => {
    const whole = bytes(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength('{"data":"是"}')}\r\n\r\n{"data":"是"}`);
    expect(parseAnswer(whole)).toEqual({ answer: { status: 200, body: '{"data":"是"}' }, length: whole.length });
    expect(parseAnswer(whole.subarray(0, whole.length - 1))).toBeUndefined();
    expect(parseAnswer(whole.subarray(0, 20))).toBeUndefined();
  });
  it('reads a chunked answer, and waits for its last chunk', () => {
    const whole = bytes('HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{"a"\r\n5;x=y\r\n:"b"}\r\n0\r\n\r\n');
    expect(parseAnswer(whole)).toEqual({ answer: { status: 201, body: '{"a":"b"}' }, length: whole.length });
    expect(parseAnswer(whole.subarray(0, whole.length - 2))).toBeUndefined();
  });
  it('refuses what is not an answer it can read', () => {
    expect(() => parseAnswer(bytes('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/status line/);
    expect(() => parseAnswer(bytes('HTTP/1.1 200 OK\r\n\r\n{}'))).toThrow(/length/);
  });
});

describe('HttpClient', () => {
  it('posts JSON with the headers given, on at most its connections, and reads lengths and chunks', async () => {
    const client = new HttpClient(`${url}/graphql?x=1`, { authorization: 'Bearer t' }, 3);
    seen.length = 0;
    most = 0;
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => client.post(JSON.stringify({ i, text: '标段' }))));
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200));
    expect(answers.map((answer) => JSON.parse(answer.body).data.echo).sort()).toEqual(Array.from({ length: 12 }, (_, i) => JSON.stringify({ i, text: '标段' })).sort());
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/graphql?x=1', type: 'application/json', authorization: 'Bearer t' });
    expect(most).toBe(3);
    const chunked = new HttpClient(`${url}/chunked`, {}, 1);
    expect(await chunked.post('{}')).toEqual({ status: 200, body: '{"data":{"parts":["一","二"]}}' });
    expect((await new HttpClient(`${url}/missing`, {}, 1).post('{}')).status).toBe(404);
    client.close();
    chunked.close();
  });

  it('opens a new socket where the server closed an idle one', async () => {
    const client = new HttpClient(`${url}/`, {}, 1);
    expect((await client.post('{"n":1}')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the server's keep-alive timeout
    expect(JSON.parse((await client.post('{"n":2}')).body)).toEqual({ data: { echo: '{"n":2}' } });
    client.close();
  });

  it('does not reuse a socket idle for longer than it may be kept, so no request crosses the server closing it', async () => {
    const client = new HttpClient(`${url}/`, {}, 1, 50);
    let opened = 0;
    const count = () => void (opened += 1);
    server.on('connection', count);
    await client.post('{}');
    await client.post('{}'); // at once: the same socket
    expect(opened).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 80)); // idle past the client's 50 ms, within the server's 100
    await client.post('{}');
    expect(opened).toBe(2);
    server.off('connection', count);
    client.close();
  });

  it('fails a request whose connection is refused', async () => {
    const client = new HttpClient('http://127.0.0.1:1/', {}, 1);
    await expect(client.post('{}')).rejects.toThrow();
    client.close();
  });
});
