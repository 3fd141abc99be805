import { describe, expect, it } from "vitest";
import { readBounded } from "../../workers/lib/bounded-body";

/*
 * The integration body reader as the client who sends an endless body sees it (B7): it pulls
 * chunks only until the count passes the limit, then cancels, so the router holds at most the
 * limit plus one chunk, whatever the request's headers claim.
 */

const CHUNK = 64 * 1024;
const LIMIT = 1024 * 1024;

/** A body that never ends, counting what the reader pulled and whether it cancelled. */
function endless() {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      seen.pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK).fill(0x61));
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

function finite(total: number) {
  const seen = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= total) return controller.close();
      seen.pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK));
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

describe("reading an integration's body", () => {
  it("stops an endless body once it passes the limit and cancels it: no more than the limit and one chunk is pulled", async () => {
    const { stream, seen } = endless();
    expect(await readBounded(stream, LIMIT)).toBeUndefined();
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(LIMIT + CHUNK);
  });

  it("returns a body up to the limit whole, and an absent body as empty", async () => {
    expect((await readBounded(finite(LIMIT).stream, LIMIT))?.byteLength).toBe(LIMIT);
    expect((await readBounded(new Response("{\"id\":1}").body, LIMIT))?.byteLength).toBe(8);
    expect((await readBounded(null, LIMIT))?.byteLength).toBe(0);
  });

  it("(control) reading the whole body first, as the router did, pulls all of it before any check", async () => {
    const { stream, seen } = finite(8 * LIMIT);
    const body = await new Response(stream).arrayBuffer();
    expect(body.byteLength > LIMIT && seen.pulled >= 8 * LIMIT).toBe(true);
  });
});
