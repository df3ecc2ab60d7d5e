/** Load generation for scripts/bench/run.ts: autocannon for the saturated rows (as fast as the server answers), pacedLoad for the paced ones. */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { HttpClient } from './http-client.ts';
import { percentile } from './stats.ts';

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Transport errors, timeouts, non-2xx answers and bodies without `data` or with `errors`. */
  errors: number;
  durationSeconds: number;
}

/** A body the API accepted: `{"data":…}` and no `errors` key (the JSON is checked in full once, before the run). */
export const goodBody = (body: string) => body.startsWith('{"data":') && !body.includes('"errors":');

export async function hammer(url: string, body: string, headers: Record<string, string>, seconds: number, connections = 32): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...headers },
    body,
    verifyBody: goodBody,
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
    durationSeconds: seconds,
  };
}

/**
 * `createOrder` then `submitOrder` through the API on `concurrency` connections for `seconds`, with autocannon's
 * request pipeline (each connection: create, then submit the order the create answered, again) so the load generator
 * costs what it does in the other phases. Each create takes (removes) the next free section off `sectionIds` (one
 * live order per section and bidder), so a later round gets fresh ones; a run that finds none left fails. Throughput counts submitted orders; latencies are per request.
 */
export async function createAndSubmit(
  url: string,
  token: string,
  documents: { create: string; submit: string },
  input: { productId: string; sectionIds: string[] },
  seconds: number,
  concurrency = 32,
): Promise<LoadResult & { ordersPerSecond: number }> {
  let firstError: string | undefined;
  let submitted = 0;
  let failures = 0;
  let ranOut = false;
  // Answers other than 200 autocannon counts itself; a refusal inside a 200 answer is counted here.
  const fail = (status: number, message: string) => {
    if (status === 200) failures += 1;
    firstError ??= message;
  };
  const result = await autocannon({
    url,
    method: 'POST',
    connections: concurrency,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        setupRequest: (request) => {
          const sectionId = input.sectionIds.pop(); // taken off the caller's list, so the next round gets fresh ones
          if (sectionId === undefined) {
            ranOut = true; // no free section left: the pipeline restarts, and sends nothing; the run fails below
            return undefined;
          }
          const variables = { input: { sectionId, productId: input.productId, handlerName: '李经办', handlerMobile: '13912345678' } };
          return { ...request, body: JSON.stringify({ query: documents.create, variables }) };
        },
        onResponse: (status, body, context) => {
          const created = goodBody(body) ? (JSON.parse(body).data.createOrder as { __typename: string; id?: string }) : undefined;
          if (status !== 200 || created?.__typename !== 'GuaranteeOrder') fail(status, `createOrder ${status}: ${body.slice(0, 300)}`);
          context.orderId = created?.id;
        },
      },
      {
        setupRequest: (request, context) => {
          const variables = { input: { orderId: context.orderId ?? 'none', noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } };
          return { ...request, body: JSON.stringify({ query: documents.submit, variables }) };
        },
        onResponse: (status, body) => {
          const order = goodBody(body) ? (JSON.parse(body).data.submitOrder as { __typename: string }) : undefined;
          if (status !== 200 || order?.__typename !== 'GuaranteeOrder') return fail(status, `submitOrder ${status}: ${body.slice(0, 300)}`);
          submitted += 1;
        },
      },
    ],
    verifyBody: goodBody,
  });
  if (firstError) console.error(`  first creation error: ${firstError}`);
  if (ranOut) throw new Error(`the creation run at ${url} ran out of free sections: its rate is not measured (raise CREATION_SECTIONS in scripts/bench/run.ts)`);
  const errors = result.errors + result.timeouts + result.non2xx + result.mismatches + failures;
  return {
    requestsPerSecond: Math.round(result.requests.average),
    ordersPerSecond: Math.round(submitted / seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors,
    durationSeconds: seconds,
  };
}

/** One request of a paced flow: its answer's body, or undefined where it failed (counted). */
export type PacedSend = (body: string) => Promise<string | undefined>;

/**
 * An open-loop load: a flow starts every 1/`rate` s for `seconds`, evenly spaced, on at most `connections` keep-alive
 * connections, whatever the server's answers take; a flow's requests follow one another (the create, then the
 * submit of the order it answered). autocannon's `overallRate` is no pacing: it sends each second's budget at once,
 * as fast as the server answers, and then waits for the next second. A flow's first request counts from when it was
 * due, so one that waited for a free connection counts that wait (no coordinated omission); a later one from when it
 * was sent. `check` decides whether an answer is good.
 */
export async function pacedLoad(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  rate: number,
  connections: number,
  flow: (send: PacedSend) => Promise<void>,
  check: (body: string) => boolean = goodBody,
): Promise<LoadResult> {
  const client = new HttpClient(url, headers, connections);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const post = (body: string) => client.post(body);
  const start = performance.now();
  const total = Math.floor(seconds * rate);
  const flows: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    let from = due;
    const send: PacedSend = async (body) => {
      const sent = from;
      try {
        const answer = await post(body);
        latencies.push(performance.now() - sent);
        if (answer.status === 200 && check(answer.body)) return answer.body;
        firstError ??= `${answer.status}: ${answer.body.slice(0, 300)}`;
      } catch (error) {
        firstError ??= (error as Error).message;
      } finally {
        from = performance.now();
      }
      errors += 1;
      return undefined;
    };
    flows.push(flow(send));
  }
  await Promise.all(flows);
  const elapsed = (performance.now() - start) / 1000;
  client.close();
  if (firstError) console.error(`  first paced error: ${firstError}`);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) => Math.round(percentile(sorted, p));
  return { requestsPerSecond: Math.round(sorted.length / elapsed), p50: at(50), p99: at(99), requests: sorted.length, errors, durationSeconds: seconds };
}
