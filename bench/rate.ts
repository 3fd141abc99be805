/* What the Worker benchmarks share: a request rate at a fixed concurrency, and medians of rounds. */

import { median } from "./median";

export { median };

/** Requests per second for `send`, `requests` in all with `concurrency` in flight; every answer must be 200. */
export async function rate(send: () => Promise<Response>, requests: number, concurrency: number): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next += 1;
      const response = await send();
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`answer ${response.status}`);
    }
  }));
  return requests / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Median rates of `a` and `b` over alternating rounds, after one warm-up of each (JIT, key
 * imports, module caches), so both see the same machine load.
 */
export async function alternatingMedians(a: () => Promise<Response>, b: () => Promise<Response>, requests: number, rounds: number, concurrency: number): Promise<[number, number]> {
  await rate(a, requests, concurrency);
  await rate(b, requests, concurrency);
  const ratesA: number[] = [];
  const ratesB: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    ratesA.push(await rate(a, requests, concurrency));
    ratesB.push(await rate(b, requests, concurrency));
  }
  return [median(ratesA), median(ratesB)];
}
