/*
 * Reading a request body the router must hold in memory (an integration's, to verify its
 * signature) without ever holding more than the limit: the stream is read chunk by chunk and
 * cancelled as soon as the count passes the limit, so a large or endless body costs at most
 * the limit plus one chunk, whatever its headers claim.
 */

/** The body's bytes, or undefined once more than `limit` bytes have arrived (the stream is then cancelled). */
export async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      // Stops the sender's stream here: nothing past the limit is read or kept.
      await reader.cancel("body over the limit").catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}
