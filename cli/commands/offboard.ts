import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Offboarding } from "../../spec/spec";
import { orgSlug } from "../../spec/spec-fields";
import { SpecError } from "../../spec/spec-errors";
import { tenantStackFromConfig } from "../../spec/stack-config";
import { readStackFile } from "../../harness/stack-file";
import { EXIT_OK } from "../exit-codes";
import { markForOffboarding, offboardSteps } from "../offboard-plan";
import { writeCheckedStackFile } from "../stack-file-writer";
import { refuseWhileMoving } from "../../fleet/move-record";

/*
 * `tenantry offboard <slug>`: adds the offboarding marker to the org's stack file, checked by the
 * program's own configuration check before it replaces the file (as `onboard` writes a new one),
 * and prints the steps from the marking pull request to the one that deletes the file.
 */

export interface OffboardOptions {
  readonly requestedBy: string;
  readonly reason: string;
  readonly ticket?: string;
}

export async function offboard(slug: string, options: OffboardOptions, projectDir: string): Promise<number> {
  // The slug names a file: check it before any path is built from it.
  const parsed = orgSlug.safeParse(slug);
  if (!parsed.success) throw new SpecError([{ field: "slug", message: `slug ${JSON.stringify(slug)} ${parsed.error.issues[0]?.message ?? "is not a valid slug"}` }]);
  refuseWhileMoving(projectDir, "offboard", [parsed.data]);
  const path = join(projectDir, "stacks", `Pulumi.org-${slug}.yaml`);
  const file = relative(projectDir, path);
  if (!existsSync(path)) throw new SpecError([{ field: "slug", message: `no org ${slug}: ${file} does not exist (run tenantry from the project root)` }]);

  const before = readFileSync(path, "utf8");
  const current = tenantStackFromConfig({ ...readStackFile(path), now: new Date() }).spec.offboarding;
  if (current !== undefined) {
    throw new SpecError([{ field: "tenantry:org.offboarding", message: `org ${slug} is already marked for offboarding (requested by ${current.requestedBy}): the next steps are in docs/offboarding.md` }]);
  }
  // The marker's fields are checked with the rest of the file, so a bad address or a short
  // reason is refused with the field named and nothing written.
  const marker: Offboarding = { requestedBy: options.requestedBy, reason: options.reason, ...(options.ticket === undefined ? {} : { ticket: options.ticket }) };
  const written = writeCheckedStackFile(path, markForOffboarding(before, marker), { replace: before });
  // tenantStackFromConfig above refused a placed org before anything was written.
  if (!("provider" in written)) throw new Error("internal: a placed org was marked for offboarding");
  const { spec, provider } = written;
  console.log(offboardSteps(spec, provider, file).join("\n"));
  return EXIT_OK;
}
