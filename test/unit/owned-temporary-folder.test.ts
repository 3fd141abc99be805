import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { constructInOwnTemporaryFolder } from "../../local/owned-temporary-folder";

/*
 * The folder workerd's files are built in: what the constructor sees as os.tmpdir(), gone when
 * remove() resolves, and TMPDIR as it was before, whatever it was and however construction ended.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-owned-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function withTmpdir<T>(value: string | undefined, run: () => T): T {
  const saved = process.env["TMPDIR"];
  if (value === undefined) delete process.env["TMPDIR"];
  else process.env["TMPDIR"] = value;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = saved;
  }
}

describe("a temporary folder tenantry owns", () => {
  it("is os.tmpdir() while the library is constructed, inside the caller's TMPDIR, which is restored after, even when construction throws (generated)", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(undefined, scratch), fc.boolean(), async (before, throws) => {
      const outcome = withTmpdir(before, () => {
        const parent = tmpdir();
        let seen = "";
        const construct = () => {
          seen = tmpdir();
          if (throws) throw new Error("constructor failed");
          return "built";
        };
        try {
          const built = constructInOwnTemporaryFolder("tenantry-test-", construct);
          return { parent, seen, ...built, after: process.env["TMPDIR"] };
        } catch (error) {
          return { parent, seen, error, after: process.env["TMPDIR"] };
        }
      });
      expect(outcome.after).toBe(before);
      if ("folder" in outcome) {
        expect([throws, outcome.value, outcome.seen]).toEqual([false, "built", outcome.folder.path]);
        expect(outcome.folder.path.startsWith(join(outcome.parent, "tenantry-test-"))).toBe(true);
        await outcome.folder.remove();
      } else {
        expect([throws, String(outcome.error)]).toEqual([true, "Error: constructor failed"]);
        expect(existsSync(outcome.seen)).toBe(false);
      }
    }), { numRuns: 20 });
    // Every folder removed, so no exit hook is left behind either.
    expect(process.listeners("exit").filter((l) => l.name === "removeNow")).toEqual([]);
  });

  it("is gone, with everything the library left in it, when remove() resolves; a second remove() is harmless", async () => {
    const { folder } = withTmpdir(scratch, () => constructInOwnTemporaryFolder("tenantry-test-", () => undefined));
    const library = join(folder.path, "miniflare-0123", "cache");
    mkdirSync(library, { recursive: true });
    writeFileSync(join(library, "metadata.sqlite"), "x");
    await folder.remove();
    expect(existsSync(folder.path)).toBe(false);
    await expect(folder.remove()).resolves.toBeUndefined();
  });
});
