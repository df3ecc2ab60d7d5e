/** autocannon ships no types; the bench uses the few fields read in load.ts. */
declare module 'autocannon' {
  interface Histogram {
    average: number;
    total: number;
    p50: number;
    p99: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
  }
  interface RawRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  /** One step of a connection's request pipeline; `context` is per connection, reset when the pipeline restarts. */
  interface PipelineStep {
    setupRequest?: (request: RawRequest, context: Record<string, string | undefined>) => RawRequest | undefined;
    onResponse?: (status: number, body: string, context: Record<string, string | undefined>) => void;
  }
  export default function autocannon(options: Record<string, unknown> & { requests?: PipelineStep[] }): Promise<Result>;
}
