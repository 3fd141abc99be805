import { randomBytes } from "node:crypto";
import type { ClusterConfig } from "../../components/cluster-config";
import { fleetProblems, headroom, loadsOf, proposeCluster, type OrgDemand } from "../../fleet/placement";
import { attempt, type Credentials } from "../attempt";
import { adminClient, type ServerInfo } from "../server";
import { SQLSTATE, type ClaimResult } from "./claim";

/*
 * Placement's claims on the local stand-ins for the platform's clusters (DESIGN property 20,
 * local/cluster-servers.ts): one embedded server per declared cluster, a placed org applied to
 * its own cluster's only. Each claim is attempted on the servers themselves: the org database
 * is looked up in every server's catalog, the org's login roles try every other cluster's
 * server, and the capacity check (fleet/placement.ts) is asked to take a third org that would
 * over-commit the org's cluster.
 */

export const CLUSTER_SECTION = "placement (property 20): the org's cluster and the others, one embedded server each";

export interface ClusterOnServer {
  readonly cluster: string;
  readonly server: ServerInfo;
}

export interface ClusterProofContext {
  readonly stack: string;
  /** The org database's name. */
  readonly database: string;
  /** The org's own cluster, and its server. */
  readonly own: ClusterOnServer;
  /** Every other declared cluster's server. */
  readonly others: readonly ClusterOnServer[];
  /** The org's login roles, with the passwords the local state holds. */
  readonly logins: readonly Credentials[];
  /** The platform's clusters and every org stack's demand (cli/fleet-placement.ts readFleet). */
  readonly clusters: readonly ClusterConfig[];
  readonly orgs: readonly OrgDemand[];
  /**
   * The cluster the org was moved from, when that move has switched and not finished: the
   * source keeps the old copy, frozen, until `tenantry move --finish` (docs/move.md). Its
   * database there is that copy, named as such; the login claim still runs against it.
   */
  readonly retained?: { readonly cluster: string; readonly recordFile: string };
}

/** The guard the capacity claim is about; a test hands in a disabled one to show the claim then fails. */
export type FleetCheck = typeof fleetProblems;

const where = (c: ClusterOnServer) => `${c.cluster} (${c.server.host}:${c.server.port})`;

async function databaseCount(server: ServerInfo, database: string): Promise<number> {
  const client = adminClient(server);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_database WHERE datname = $1", [database]);
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

/** The org database is in its own cluster's catalog and in no other cluster's. */
export async function databaseOnlyOnItsCluster(ctx: ClusterProofContext): Promise<ClaimResult[]> {
  const claim = `${ctx.database} exists on its own cluster ${ctx.own.cluster} and on no other`;
  const results: ClaimResult[] = [];
  const own = await databaseCount(ctx.own.server, ctx.database);
  results.push({
    claim, attempt: `${where(ctx.own)}: pg_database where datname = ${ctx.database}`,
    result: own === 1 ? "found (1 row)" : `${own} rows, expected 1`, status: own === 1 ? "pass" : "fail", section: CLUSTER_SECTION,
  });
  for (const other of ctx.others) {
    const n = await databaseCount(other.server, ctx.database);
    if (ctx.retained?.cluster === other.cluster) {
      results.push({
        claim: `${ctx.database} on ${other.cluster} is only the old copy a move retains until --finish, and no login of the org can connect to it (the next claim)`,
        attempt: `${where(other)}: pg_database where datname = ${ctx.database}`,
        result: n === 1 ? `retained (1 row): the old copy of the move recorded in ${ctx.retained.recordFile}, until \`tenantry move ${ctx.stack} --finish\`` : n === 0 ? "absent (0 rows)" : `${n} rows`,
        status: n <= 1 ? "pass" : "fail", section: CLUSTER_SECTION,
      });
      continue;
    }
    results.push({
      claim, attempt: `${where(other)}: pg_database where datname = ${ctx.database}`,
      result: n === 0 ? "absent (0 rows)" : `FOUND (${n} row${n === 1 ? "" : "s"}), expected absent`, status: n === 0 ? "pass" : "fail", section: CLUSTER_SECTION,
    });
  }
  return results;
}

/** Refused at login: the role is unknown there or its password is not taken (28P01), or it may not log in (28000). */
const LOGIN_REFUSED: readonly string[] = [SQLSTATE.invalidPassword, SQLSTATE.cannotLogIn];

/** Every login role of the org, with its real password, is refused by every other cluster's server. */
export async function rolesCannotLogInElsewhere(ctx: ClusterProofContext): Promise<ClaimResult[]> {
  const results: ClaimResult[] = [];
  for (const other of ctx.others) {
    for (const who of ctx.logins) {
      // To the org's own database name and to the shared `postgres`: neither may take it.
      for (const database of [ctx.database, "postgres"]) {
        const outcome = await attempt(other.server, who, database, ["SELECT 1"]);
        const refused = outcome.code !== undefined && LOGIN_REFUSED.includes(outcome.code);
        results.push({
          claim: `a role of ${ctx.stack} (cluster ${ctx.own.cluster}) cannot log in to cluster ${other.cluster}`,
          attempt: `${who.user} with its password: connect to ${where(other)} database ${database}`,
          result: refused ? `refused ${outcome.code}` : `${outcome.code === undefined ? "LOGGED IN" : `refused ${outcome.code}`}, expected refused ${LOGIN_REFUSED.join(" or ")}`,
          status: refused ? "pass" : "fail",
          section: CLUSTER_SECTION,
        });
      }
    }
  }
  return results;
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * A generated third org, placed on the org's cluster with a quota one past what is left there
 * (plus a random margin), must be refused by the fleet check with the cluster's numbers, and no
 * cluster of that region may be proposed for it; the same org with exactly what is left must be
 * taken, so the claim cannot pass by refusing everything.
 */
export async function capacityRefusesAThirdOrg(ctx: ClusterProofContext, check: FleetCheck = fleetProblems): Promise<ClaimResult[]> {
  const cluster = ctx.clusters.find((c) => c.name === ctx.own.cluster);
  if (cluster === undefined) throw new Error(`internal: cluster ${ctx.own.cluster} is not declared`);
  const before = loadsOf(ctx.clusters, ctx.orgs);
  const load = before.loads.find((l) => l.cluster === cluster.name);
  if (load === undefined) throw new Error(`internal: no load for ${cluster.name}`);
  const left = headroom(load);
  const third = `org-third-${randomBytes(4).toString("hex")}`;
  const over = left + 1 + (randomBytes(1)[0] ?? 0) % 10;
  const claim = `the capacity check refuses a third org that would over-commit cluster ${cluster.name}`;
  const placedHere = load.stacks.join(", ") || "no org";
  const results: ClaimResult[] = [];

  const refusal = check(ctx.clusters, loadsOf(ctx.clusters, [...ctx.orgs, { stack: third, maxConnections: over, cluster: cluster.name }]))
    .filter((p) => p.startsWith(`cluster ${cluster.name}:`));
  results.push({
    claim,
    attempt: `fleet check: ${placedHere} (quotas ${count(load.quotas)} + reserve ${count(load.reserve)} of ${count(load.maxConnections)}) plus generated ${third} asking ${count(over)} (${count(left)} left)`,
    result: refusal.length > 0 ? `refused: ${refusal.join("; ")}` : "ACCEPTED, expected refused",
    status: refusal.length > 0 ? "pass" : "fail",
    section: CLUSTER_SECTION,
  });

  const ownOnly = before.loads.filter((l) => l.cluster === cluster.name);
  const proposal = proposeCluster(ownOnly, { stack: third, maxConnections: over, region: cluster.region });
  results.push({
    claim,
    attempt: `placement proposal for ${third} asking ${count(over)} on ${cluster.name}`,
    result: proposal.cluster === undefined ? `no cluster proposed: ${proposal.reason}` : `PROPOSED ${proposal.cluster}, expected none`,
    status: proposal.cluster === undefined ? "pass" : "fail",
    section: CLUSTER_SECTION,
  });

  // The boundary: what is left fits exactly, so the refusal above is about the numbers.
  const fitting = check(ctx.clusters, loadsOf(ctx.clusters, [...ctx.orgs, { stack: third, maxConnections: left, cluster: cluster.name }]))
    .filter((p) => p.startsWith(`cluster ${cluster.name}:`));
  results.push({
    claim: `the capacity check takes a third org that exactly fills cluster ${cluster.name}`,
    attempt: `fleet check: ${placedHere} plus ${third} asking ${count(left)} (${count(left)} left)`,
    result: fitting.length === 0 ? `accepted: ${count(load.quotas + left + load.reserve)} of ${count(load.maxConnections)} connections` : `REFUSED: ${fitting.join("; ")}`,
    status: fitting.length === 0 ? "pass" : "fail",
    section: CLUSTER_SECTION,
  });
  return results;
}

/** Placement's claims for one placed org, in order. */
export async function proveClusters(ctx: ClusterProofContext): Promise<ClaimResult[]> {
  return [...(await databaseOnlyOnItsCluster(ctx)), ...(await rolesCannotLogInElsewhere(ctx)), ...(await capacityRefusesAThirdOrg(ctx))];
}
