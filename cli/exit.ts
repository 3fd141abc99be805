/**
 * Exits once stdout and stderr have handed over everything written to them. Writes to a pipe
 * that is non-blocking are asynchronous, and process.exit drops what is still queued:
 * `up --local --verbose | tail` lost the end of the table (likely made non-blocking by workerd,
 * which the proof starts on the same stdout; not pinned down). An empty write's callback comes
 * after every earlier write of its stream.
 */
export async function exitAfterFlush(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((done) => stream.write("", () => done()))));
  process.exit(code);
}
