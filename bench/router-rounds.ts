import { median, rate } from "./rate";
import { descendantCpuSeconds } from "./process-cpu";

/*
 * Rounds over several request paths, alternating, so that each sees the same machine load: per
 * path, the median rate, and the CPU per request spent in workerd (the server side) and in this
 * Node process (the client), medians over the rounds.
 */

export interface PathFigures {
  /** Requests per second. */
  readonly rate: number;
  /** workerd CPU per request, microseconds (NaN without /proc). */
  readonly serverMicros: number;
  /** This process's CPU per request, microseconds. */
  readonly clientMicros: number;
}

const SERVER_PROCESS = "workerd";

async function round(send: () => Promise<Response>, requests: number, concurrency: number): Promise<PathFigures> {
  const server = descendantCpuSeconds(SERVER_PROCESS);
  const client = process.cpuUsage();
  const requestRate = await rate(send, requests, concurrency);
  const clientUsed = process.cpuUsage(client);
  const serverAfter = descendantCpuSeconds(SERVER_PROCESS);
  return {
    rate: requestRate,
    serverMicros: server === undefined || serverAfter === undefined ? Number.NaN : ((serverAfter - server) * 1e6) / requests,
    clientMicros: (clientUsed.user + clientUsed.system) / requests,
  };
}

/** Medians per path over `rounds` alternating rounds, after one warm-up round of each (JIT, key imports, caches). */
export async function alternatingRounds<Name extends string>(paths: Readonly<Record<Name, () => Promise<Response>>>, requests: number, rounds: number, concurrency: number): Promise<Record<Name, PathFigures>> {
  const names = Object.keys(paths) as Name[];
  for (const name of names) await rate(paths[name], requests, concurrency);
  const seen = new Map<Name, PathFigures[]>(names.map((name) => [name, []]));
  for (let r = 0; r < rounds; r += 1) {
    for (const name of names) seen.get(name)?.push(await round(paths[name], requests, concurrency));
  }
  const figures = {} as Record<Name, PathFigures>;
  for (const name of names) {
    const all = seen.get(name) ?? [];
    figures[name] = { rate: median(all.map((f) => f.rate)), serverMicros: median(all.map((f) => f.serverMicros)), clientMicros: median(all.map((f) => f.clientMicros)) };
  }
  return figures;
}
