import { proposeClusters } from "../../fleet/placement";
import { orgSlug } from "../../spec/spec-fields";
import { SpecError } from "../../spec/spec-errors";
import { QUOTA_BOUNDS, withinBounds } from "../../spec/quota-bounds";
import { quotasSchema } from "../../spec/spec";
import { EXIT_OK, EXIT_VIOLATIONS } from "../exit-codes";
import { fleetCheck, readFleet } from "../fleet-placement";
import { placementPlanJson, renderPlacementPlan } from "../render-placement";

/*
 * `tenantry placement plan [--new <slug>...]`: each cluster's databases and connection budget,
 * read from stacks/ and platform/Pulumi.platform.yaml, and a proposed cluster for each new org.
 * Exit 1 when the fleet is over-committed or a new org fits nowhere.
 */

export interface PlacementPlanOptions {
  readonly new?: readonly string[];
  /** The new orgs' connection quota; default the org spec's (quotas.maxConnections). */
  readonly maxConnections?: number;
  /** Only clusters in this AWS region for the new orgs. */
  readonly region?: string;
  readonly json?: boolean;
}

/** The quota a new org gets when its stack file does not say: the spec's own default. */
export const DEFAULT_QUOTA = quotasSchema.parse({}).maxConnections;

export async function placementPlan(options: PlacementPlanOptions, projectDir: string): Promise<number> {
  for (const slug of options.new ?? []) {
    const parsed = orgSlug.safeParse(slug);
    if (!parsed.success) throw new SpecError([{ field: "new", message: `--new ${JSON.stringify(slug)} ${parsed.error.issues[0]?.message ?? "is not a valid org slug"}` }]);
  }
  if (options.maxConnections !== undefined && !withinBounds(options.maxConnections, QUOTA_BOUNDS.maxConnections)) {
    const { min, max } = QUOTA_BOUNDS.maxConnections;
    throw new SpecError([{ field: "max-connections", message: `--max-connections must be a whole number ${min}..${max}, as quotas.maxConnections` }]);
  }
  const placement = readFleet(projectDir);
  const problems = fleetCheck(placement);
  const requests = (options.new ?? []).map((slug) => ({
    stack: `org-${slug}`, maxConnections: options.maxConnections ?? DEFAULT_QUOTA, ...(options.region === undefined ? {} : { region: options.region }),
  }));
  const { proposals } = proposeClusters(placement.fleet.loads, requests);
  const plan = { placement, problems, proposals };
  console.log(options.json === true ? JSON.stringify(placementPlanJson(plan), null, 2) : renderPlacementPlan(plan));
  return problems.length > 0 || proposals.some((p) => p.cluster === undefined) ? EXIT_VIOLATIONS : EXIT_OK;
}
