import type { StackFile } from "../../harness/stack-file";

/** The platform stack file with its one `tenantry:platform` object changed: what a team would edit. */
export function withPlatformConfig(file: StackFile, change: (platform: Record<string, unknown>) => Record<string, unknown>): StackFile {
  const platform = JSON.parse(file.values["tenantry:platform"] ?? "{}") as Record<string, unknown>;
  return { ...file, values: { ...file.values, "tenantry:platform": JSON.stringify(change(platform)) } };
}
