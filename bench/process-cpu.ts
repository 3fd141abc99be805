import { readdirSync, readFileSync } from "node:fs";

/*
 * CPU time of this process's descendants by name, read from /proc (Linux only): workerd runs
 * every Worker of the local edge in one process, so its CPU per request is what the server side
 * of a path costs, a figure the machine's other load disturbs far less than a request rate.
 */

const TICKS_PER_SECOND = 100;

interface ProcessStat {
  readonly pid: number;
  readonly ppid: number;
  readonly name: string;
  readonly cpuSeconds: number;
}

function statOf(pid: string): ProcessStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The name is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = text.lastIndexOf(")");
    const name = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { pid: Number(pid), ppid: Number(fields[1]), name, cpuSeconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** Seconds of CPU (user and system) spent so far by descendants of this process named `name`; undefined without /proc. */
export function descendantCpuSeconds(name: string): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  const stats = pids.map(statOf).filter((stat): stat is ProcessStat => stat !== undefined);
  const children = new Map<number, ProcessStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  let total = 0;
  const queue = [...(children.get(process.pid) ?? [])];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (next.name === name) total += next.cpuSeconds;
    queue.push(...(children.get(next.pid) ?? []));
  }
  return total;
}
