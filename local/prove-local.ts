import type { Credentials } from "./attempt";
import { OPERATOR_SECTION, tagged, type ClaimResult, type OtherOrg } from "./proof/claim";
import { proveEdge } from "./proof/edge-claims";
import { proveOperatorGateway } from "./proof/operator-gateway-claims";
import { proveOffboarding } from "./proof/offboarding-claims";
import { prove } from "./proof/prove";
import { dropProofObjects, type Leftover } from "./proof-objects";
import { repairLogins } from "./logins";
import { ensureProviderAdmin } from "./provider-admin";
import { TYPE } from "./provider-sql";
import { ensureServer, type ServerInfo } from "./server";
import { readState, type AppliedResource } from "./state";
import { ensureClusterServers } from "./cluster-servers";
import { CLUSTER_SECTION, databaseOnlyOnItsCluster, proveClusters, rolesCannotLogInElsewhere } from "./proof/cluster-claims";
import type { ClusterConfig } from "../components/cluster-config";
import type { OrgDemand } from "../fleet/placement";
import { databaseName } from "../spec/naming";
import { moveFilePath, readMoveFile, retainingOldCopy } from "../fleet/move-record";
import { relative } from "node:path";
import { providerDatabase, type LocalStack } from "./up";

/*
 * `tenantry prove --local`: the claims of the posture, attempted on the embedded server as the
 * roles the apply created, with the passwords only the local state holds.
 */

/** `prove` before `up`: nothing to prove yet. */
export class NotAppliedError extends Error {}

/** The stored password of each role that has one; with `loginOnly`, of the roles that may log in. */
function loginCredentials(resources: readonly AppliedResource[], { loginOnly = true } = {}): Map<string, Credentials> {
  const credentials = new Map<string, Credentials>();
  for (const r of resources.filter((r) => r.type === TYPE.role && (!loginOnly || r.inputs["login"] === true))) {
    const user = r.inputs["name"];
    const password = r.inputs["password"];
    if (typeof user === "string" && typeof password === "string") credentials.set(user, { user, password });
  }
  return credentials;
}

function asOtherOrg(slug: string, resources: readonly AppliedResource[]): OtherOrg | undefined {
  const database = resources.find((r) => r.type === TYPE.database)?.inputs["name"];
  const runtimes = [...loginCredentials(resources).values()].filter((c) => c.user.endsWith("_runtime"));
  return typeof database === "string" && runtimes.length > 0 ? { slug, database, runtimes } : undefined;
}

export interface ProveLocalOptions {
  readonly signal?: AbortSignal;
  /** Told what a clean-up could not drop; the proof goes on. */
  readonly onLeftovers?: (leftovers: readonly Leftover[]) => void;
  /** The platform's clusters and every org stack's demand (cli/fleet-placement.ts): the capacity claim of a placed org. */
  readonly fleet?: { readonly clusters: readonly ClusterConfig[]; readonly orgs: readonly OrgDemand[] };
}

export async function proveLocal(stack: LocalStack, { signal, onLeftovers, fleet }: ProveLocalOptions = {}): Promise<ClaimResult[]> {
  const { paths, stackFile, tenant } = stack;
  const state = readState(paths);
  const own = state.stacks[stackFile.stack]?.resources;
  if (own === undefined || own.length === 0) {
    throw new NotAppliedError(`stack ${stackFile.stack} has not been applied locally: run \`npx tenantry up --local ${stackFile.stack}\` first`);
  }
  const { server } = await ensureServer(paths, { signal });
  // What a proof killed before its end left behind goes first, before it can get in anyone's way.
  onLeftovers?.((await dropProofObjects(server, paths.proofFile)).leftovers);
  const otherOrgs = Object.entries(state.stacks)
    .filter(([name]) => name !== stackFile.stack)
    .map(([name, other]) => asOtherOrg(name.replace(/^org-/, ""), other.resources))
    .filter((o): o is OtherOrg => o !== undefined);
  if (tenant.spec.offboarding !== undefined) {
    // Its roles are NOLOGIN now: the proof tries each one's stored password and must be refused.
    return tagged([15], await proveOffboarding({ server, spec: tenant.spec, credentials: loginCredentials(own, { loginOnly: false }), otherOrgs }));
  }
  const admin = await ensureProviderAdmin(paths, server, tenant.provider.adminRole, providerDatabase(stackFile));
  const repairRoles = async () => {
    const { passwords, settings } = await repairLogins({ server, admin, superuser: { ...server, database: admin.database }, resources: own });
    return { passwords, settings };
  };
  const database = await prove({ server, spec: tenant.spec, providerLogin: admin.user, credentials: loginCredentials(own), otherOrgs, repairRoles },
    { journal: paths.proofFile, signal, ...(onLeftovers === undefined ? {} : { onLeftovers }) });
  signal?.throwIfAborted();
  const edge = await proveEdge(tenant.spec, { signal });
  signal?.throwIfAborted();
  // The operator console reaches every org, so every org's proof shows its gateway, with the router's half of property 9.
  const gateway = tagged([9], await proveOperatorGateway(tenant.spec, { allowlistDir: paths.operatorAllowlistDir, signal }));
  signal?.throwIfAborted();
  const clusters = stack.placement === undefined ? [] : tagged([20], await proveOnClusters(stack, server, own, fleet, signal));
  return [...database, ...clusters, ...edge.filter((r) => r.section !== OPERATOR_SECTION), ...gateway, ...edge.filter((r) => r.section === OPERATOR_SECTION)];
}

/** Where a switched, unfinished move of the org keeps its old copy (fleet/move-record.ts). */
function retainedCopy(projectDir: string, org: string, placedOn: string): { retained?: { cluster: string; recordFile: string } } {
  const record = readMoveFile(projectDir, org)?.record;
  if (record === undefined || !retainingOldCopy(record) || record.to !== placedOn) return {};
  return { retained: { cluster: record.from, recordFile: relative(projectDir, moveFilePath(projectDir, org)) } };
}

/** A placed org's claims on every declared cluster's server (local/proof/cluster-claims.ts): the others are brought up if they are not running. */
async function proveOnClusters(
  stack: LocalStack, server: ServerInfo, own: readonly AppliedResource[], fleet: ProveLocalOptions["fleet"], signal: AbortSignal | undefined,
): Promise<ClaimResult[]> {
  const placement = stack.placement;
  if (placement === undefined) return [];
  const others = await ensureClusterServers(placement.projectDir, placement.clusters.filter((c) => c.name !== placement.cluster), signal === undefined ? {} : { signal });
  const ctx = {
    stack: stack.stackFile.stack,
    database: databaseName(stack.tenant.spec.slug),
    own: { cluster: placement.cluster, server },
    others: others.map((o) => ({ cluster: o.cluster, server: o.server })),
    logins: [...loginCredentials(own).values()],
    clusters: fleet?.clusters ?? placement.clusters,
    orgs: fleet?.orgs ?? [],
    ...retainedCopy(placement.projectDir, stack.tenant.spec.slug, placement.cluster),
  };
  if (fleet !== undefined) return proveClusters(ctx);
  const skipped: ClaimResult = {
    claim: `the capacity check refuses a third org that would over-commit cluster ${placement.cluster}`, attempt: "not attempted",
    result: "skipped: the project's org stacks were not read (prove through the CLI)", status: "skip", section: CLUSTER_SECTION,
  };
  return [...(await databaseOnlyOnItsCluster(ctx)), ...(await rolesCannotLogInElsewhere(ctx)), skipped];
}
