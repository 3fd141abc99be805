import { linkSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SpecError } from "../spec/spec-errors";
import { tenantStackOrPlacement, type PlacedTenantStack, type TenantStack } from "../spec/stack-config";
import { readStackFile } from "../harness/stack-file";

/*
 * How `onboard` and `offboard` write a stack file: drafted beside stacks/, checked there with the
 * program's own configuration check (the same function index.ts calls), and only then moved into
 * place, so a file that would not deploy is never left behind, not even half-written.
 */

/** `create`: the file must not exist. `replace`: it must still hold `previous`, the text the edit started from. */
export type WriteMode = { readonly create: true } | { readonly replace: string };

export function writeCheckedStackFile(path: string, text: string, mode: WriteMode): TenantStack | PlacedTenantStack {
  const draftDir = mkdtempSync(join(dirname(path), ".draft-"));
  const draft = join(draftDir, basename(path));
  try {
    writeFileSync(draft, text, { flag: "wx" });
    const checked = tenantStackOrPlacement({ ...readStackFile(draft), now: new Date() });
    if ("create" in mode) {
      // A hard link fails if the file appeared meanwhile (a rename would silently replace it).
      linkSync(draft, path);
    } else {
      // An edit made meanwhile (by hand, or a second run) is never overwritten.
      if (readFileSync(path, "utf8") !== mode.replace) {
        throw new SpecError([{ field: "stack", message: `${basename(path)} changed while it was being edited: run the command again` }]);
      }
      // Same directory tree, same file system: the rename replaces the file atomically.
      renameSync(draft, path);
    }
    return checked;
  } finally {
    rmSync(draftDir, { recursive: true, force: true });
  }
}
