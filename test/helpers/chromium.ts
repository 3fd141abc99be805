/*
 * The system Chromium the browser tests drive through playwright-core (which downloads no
 * browser of its own). Debian's `chromium` package puts it on PATH; TENANTRY_CHROMIUM names
 * another binary.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const NAMES = ["chromium", "chromium-browser"];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium binary to launch, or undefined when this machine has none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env.TENANTRY_CHROMIUM;
  if (named !== undefined && named !== "") return executable(named) ? named : undefined;
  const dirs = (env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const dir of dirs) {
    for (const name of NAMES) {
      const candidate = join(dir, name);
      if (executable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** What is missing, for the notice a skipped browser test prints. */
export function missingChromium(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.TENANTRY_CHROMIUM;
  if (named !== undefined && named !== "") return `TENANTRY_CHROMIUM=${named} is not an executable file`;
  return `no ${NAMES.join(" or ")} on PATH (install Debian's chromium package, or set TENANTRY_CHROMIUM to a Chromium binary)`;
}

/**
 * Chromium's sandbox will not start as root (it needs an unprivileged user for its namespaces),
 * and CI containers and these machines run tests as root. The page under test is our own static
 * file with no script, loaded with every request aborted, so running it unsandboxed there risks
 * nothing the sandbox would have stopped. As any other user the sandbox stays on.
 */
export function chromiumArgs(uid: number | undefined = process.getuid?.()): string[] {
  return uid === 0 ? ["--no-sandbox"] : [];
}
