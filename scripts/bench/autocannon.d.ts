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
  export default function autocannon(options: Record<string, unknown>): Promise<Result>;
}
