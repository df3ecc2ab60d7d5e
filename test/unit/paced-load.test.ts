import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pacedLoad } from '../../scripts/bench/load.ts';

// The bench's paced rows (scripts/bench/run.ts) measure latency with headroom only if the load is spread evenly over
// each second: a burst of the second's budget at once is a saturated run again (what autocannon's overallRate does).
let server: Server;
let url = '';
const arrivals: number[] = [];
let delayMs = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    arrivals.push(performance.now());
    request.resume();
    request.on('end', () => setTimeout(() => response.end(request.url === '/bad' ? '{"errors":[]}' : '{"data":{"ok":true}}'), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('pacedLoad', () => {
  it('spreads the flows evenly over the run: no 50 ms holds more than a few times its share', async () => {
    arrivals.length = 0;
    delayMs = 0;
    const result = await pacedLoad(`${url}/`, {}, 1, 200, 32, async (send) => void (await send('{}')));
    expect(result.errors).toBe(0);
    expect(result.requests).toBe(200);
    // 200 a second is 10 in any 50 ms; a burst of the second's budget would put 200 in the first.
    const most = Math.max(...arrivals.map((at) => arrivals.filter((other) => other >= at && other < at + 50).length));
    expect(most).toBeLessThanOrEqual(40); // room for a machine that stalls the timers now and then
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(900);
  });

  it("counts a flow's later requests, a bad answer as an error, and a wait for a connection in the latency", async () => {
    delayMs = 40;
    let answered = 0;
    // 100 flows a second, each two requests of 40 ms, on 2 connections: the connections carry 50 requests a second,
    // so the flows queue and their first requests' latencies, counted from when they were due, grow far past 40 ms.
    const result = await pacedLoad(`${url}/`, {}, 0.5, 100, 2, async (send) => {
      if ((await send('{}')) !== undefined) answered += 1;
      await send('{}');
    });
    expect(result.requests).toBe(100);
    expect(answered).toBe(50);
    expect(result.p50).toBeGreaterThanOrEqual(40);
    expect(result.p99).toBeGreaterThan(500);
    const bad = await pacedLoad(`${url}/bad`, {}, 0.1, 50, 2, async (send) => void (await send('{}')));
    expect(bad.errors).toBe(bad.requests);
  });
});
