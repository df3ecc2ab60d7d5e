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
 * `createOrder` then `submitOrder` through the API, `concurrency` loops at once for `seconds`: each loop takes the next
 * free section (one live order per section and bidder). Throughput counts completed pairs.
 */
export async function createAndSubmit(
  url: string,
  token: string,
  documents: { create: string; submit: string },
  input: { productId: string; sectionIds: string[] },
  seconds: number,
  concurrency = 32,
): Promise<LoadResult & { ordersPerSecond: number }> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const post = async (query: string, variables: unknown) => {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const text = await response.text();
    if (!response.ok || !goodBody(text)) throw new Error(text.slice(0, 300));
    return JSON.parse(text).data as Record<string, { __typename: string; id?: string; code?: string }>;
  };
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline && next < input.sectionIds.length) {
        const sectionId = input.sectionIds[next++]!;
        const t0 = performance.now();
        try {
          const created = (await post(documents.create, { input: { sectionId, productId: input.productId, handlerName: '李经办', handlerMobile: '13912345678' } })).createOrder!;
          if (created.__typename !== 'GuaranteeOrder') throw new Error(`createOrder: ${JSON.stringify(created)}`);
          const submitted = (await post(documents.submit, { input: { orderId: created.id, noticeVersion: '2025.04-demo', termsVersion: '2025.04-demo' } })).submitOrder!;
          if (submitted.__typename !== 'GuaranteeOrder') throw new Error(`submitOrder: ${JSON.stringify(submitted)}`);
          latencies.push(performance.now() - t0);
        } catch (error) {
          errors += 1;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  if (firstError) console.error(`  first creation error: ${firstError}`);
  latencies.sort((a, b) => a - b);
  const at = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN);
  const ordersPerSecond = Math.round(latencies.length / elapsed);
  return { requestsPerSecond: ordersPerSecond * 2, ordersPerSecond, p50: at(0.5), p99: at(0.99), requests: latencies.length * 2, errors, durationSeconds: elapsed };
}
