/** Load generation for scripts/bench/run.ts: autocannon for fixed requests, a fetch loop for create + submit. */
import autocannon from 'autocannon';

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
 * live order per section and bidder), so a later round gets fresh ones; a connection stops when none is left. Throughput counts submitted orders; latencies are per request.
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
          if (sectionId === undefined) return undefined; // no free section left: the pipeline restarts, and sends nothing
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
