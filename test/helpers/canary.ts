import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/*
 * The canary's search: every regular file under a folder, read as bytes and decoded as latin1, so
 * an ASCII secret is found inside a SQLite page, a Postgres heap page or a WAL segment as well as
 * in a JSON or YAML file.
 */

/** The files under `dir` (relative paths) whose bytes contain any of `needles`, with the needles found. */
export function filesHolding(dir: string, needles: readonly string[]): { file: string; found: string[] }[] {
  const hits: { file: string; found: string[] }[] = [];
  for (const path of everyFile(dir)) {
    let text: string;
    try {
      text = readFileSync(path).toString("latin1");
    } catch {
      continue; // removed meanwhile (a server's temporary file): nothing left to hold a secret
    }
    const found = needles.filter((needle) => text.includes(needle));
    if (found.length > 0) hits.push({ file: relative(dir, path), found });
  }
  return hits;
}

/** How many regular files the search reads under `dir`: a search of nothing would find nothing. */
export const fileCount = (dir: string) => everyFile(dir).length;

function everyFile(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    let stats;
    try {
      stats = statSync(path);
    } catch {
      return [];
    }
    return stats.isDirectory() ? everyFile(path) : stats.isFile() ? [path] : [];
  });
}
