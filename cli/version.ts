import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

/*
 * `tenantry --version`: the version in this package's package.json, read when asked (so it is
 * never a second copy in the code), and the commit when the package is a git checkout of its
 * own. Inside another repository (tenantry installed as a dependency) that repository's commit
 * would be a lie, so the checkout's top level must be the package's own folder.
 */

/** The folder of tenantry's own package.json, found upward from this file (source or dist/). */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "tenantry") return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json of tenantry above ${from}`);
  }
}

/** The version in the package.json at `root`. */
function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}

/** `tenantry 0.1.0 (commit 1a2b3c4)`, or without the commit when there is no checkout or no git. */
export function versionText(root: string = packageRoot()): string {
  const commit = checkoutCommit(root);
  return `tenantry ${packageVersion(root)}${commit === undefined ? "" : ` (commit ${commit})`}`;
}

/** What the trust page and `prove --json` record: the version, and the full commit, or `unknown` when tenantry is not run from a git checkout of its own. */
export function versionInfo(root: string = packageRoot()): { readonly version: string; readonly commit: string } {
  return { version: packageVersion(root), commit: checkoutCommit(root, { short: false }) ?? "unknown" };
}

function checkoutCommit(root: string, { short = true } = {}): string | undefined {
  try {
    const [top, commit] = execFileSync("git", ["rev-parse", "--show-toplevel", ...(short ? ["--short"] : []), "HEAD"], {
      cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000,
    }).trim().split("\n");
    return top !== undefined && realpathSync(top) === realpathSync(root) ? commit : undefined;
  } catch {
    // No git, not a checkout, or a checkout without a commit yet: the version alone is the answer.
    return undefined;
  }
}
