import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { orgSlug } from "../../spec/spec-fields";
import { SpecError } from "../../spec/spec-errors";
import { orgStackFiles, readStackFile } from "../../harness/stack-file";
import { EXIT_OK } from "../exit-codes";
import { onboardProblems, renderStackFile, type OnboardRequest, type PlatformSettings } from "../onboard-plan";
import { writeCheckedStackFile } from "../stack-file-writer";
import { proposeCluster } from "../../fleet/placement";
import { readFleet } from "../fleet-placement";
import { DEFAULT_QUOTA } from "./placement";

/*
 * `tenantry onboard <slug>`: writes stacks/Pulumi.org-<slug>.yaml for a new org, validated by the
 * program's own configuration check before it is written (a file that would not deploy is
 * never left behind), and prints the pull request that comes next.
 */

export interface OnboardOptions {
  readonly workspaces: readonly string[];
  readonly environments: readonly string[];
  readonly tier: "production" | "sandbox";
  /** The stack whose platform settings (provider connection, edge) the new org shares. */
  readonly like?: string;
}

function platformOf(stacksDir: string, like: string | undefined): PlatformSettings {
  const stacks = orgStackFiles(stacksDir);
  const template = (like === undefined ? stacks[0] : stacks.find((s) => s.stack === like))?.path;
  if (template === undefined) {
    throw new SpecError([{ field: "like", message: `no template stack ${like ?? "in stacks/"}: onboard copies the provider connection and edge of an existing org (--like org-<slug>)` }]);
  }
  const { values, secretKeys } = readStackFile(template);
  // Plain provider settings only: a `secure:` value is encrypted for the template's own stack.
  const provider = Object.fromEntries(Object.entries(values).filter(([key]) => key.startsWith("postgresql:") && key !== "postgresql:password" && !secretKeys.has(key)));
  const org = JSON.parse(values["tenantry:org"] ?? "{}") as { edge?: Record<string, unknown> };
  return { provider, edge: org.edge };
}

export async function onboard(slug: string, options: OnboardOptions, projectDir: string): Promise<number> {
  // The slug names a file: check it before any path is built from it.
  const parsed = orgSlug.safeParse(slug);
  if (!parsed.success) throw new SpecError([{ field: "slug", message: `slug ${JSON.stringify(slug)} ${parsed.error.issues[0]?.message ?? "is not a valid slug"}` }]);
  const stacksDir = join(projectDir, "stacks");
  if (!existsSync(stacksDir)) throw new SpecError([{ field: "stacks", message: `no stacks/ directory in ${projectDir}: run tenantry from the project root` }]);
  const existing = orgStackFiles(stacksDir).map((f) => f.stack.replace(/^org-/, ""));
  const request: OnboardRequest = { slug, tier: options.tier, environments: options.environments, workspaces: options.workspaces };
  const problems = onboardProblems(request, existing);
  if (problems.length > 0) throw new SpecError(problems);

  const path = join(stacksDir, `Pulumi.org-${slug}.yaml`);
  const cluster = clusterFor(slug, projectDir);
  const platform = { ...platformOf(stacksDir, options.like), ...(cluster === undefined ? {} : { cluster }) };
  writeCheckedStackFile(path, renderStackFile(request, platform), { create: true });
  const file = relative(projectDir, path);
  console.log([
    `wrote ${file}: org ${slug}, ${options.tier} tier, environments ${options.environments.join(" -> ")}, workspaces ${options.workspaces.join(", ")}`,
    ...edgeLines(platform.edge),
    ...(cluster === undefined ? [] : [`placed on cluster ${cluster}: the most connection headroom left (tenantry placement plan shows every cluster's budget)`]),
    "",
    "next, open the pull request that onboards it:",
    `  git checkout -b onboard-${slug}`,
    `  git add ${file} && git commit -m "Onboard org ${slug}"`,
    `  git push -u origin onboard-${slug}      # the PR preview runs tenantry check and pulumi preview`,
    `once merged, promotion previews org-${slug} in the dev ring, then creates and deploys it in the ${options.tier === "sandbox" ? "test ring (1 approval)" : "prod ring (after the pull request's 2 approvals, 1 more)"}.`,
  ].join("\n"));
  return EXIT_OK;
}

/**
 * The cluster `placement plan` proposes for the new org at the spec's default quota, when the
 * platform declares clusters; undefined on the small-team path. Refused when none has room.
 */
function clusterFor(slug: string, projectDir: string): string | undefined {
  const { clusters, fleet } = readFleet(projectDir);
  if (clusters.length === 0) return undefined;
  const proposal = proposeCluster(fleet.loads, { stack: `org-${slug}`, maxConnections: DEFAULT_QUOTA });
  if (proposal.cluster === undefined) throw new SpecError([{ field: "placement", message: `org ${slug} cannot be placed: ${proposal.reason}; add a cluster to tenantry:platform.clusters first` }]);
  return proposal.cluster;
}

/**
 * Where the new org's edge goes, copied from the template: its account, and the account's one
 * Secrets Store, which the platform stack created and every org on the account shares.
 */
function edgeLines(edge: PlatformSettings["edge"]): string[] {
  if (edge === undefined) return [];
  return [`edge: Cloudflare account ${String(edge["accountId"])}, in its Secrets Store ${String(edge["secretsStoreId"])} (the platform stack's, one per account: pulumi stack output secretsStoreIds in platform/)`];
}
