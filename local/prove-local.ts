import type { Credentials } from "./attempt";
import { OPERATOR_SECTION, type ClaimResult, type OtherOrg } from "./proof/claim";
import { proveEdge } from "./proof/edge-claims";
import { proveOperatorGateway } from "./proof/operator-gateway-claims";
import { proveOffboarding } from "./proof/offboarding-claims";
import { prove } from "./proof/prove";
import { dropProofObjects, type Leftover } from "./proof-objects";
import { repairLogins } from "./logins";
import { ensureProviderAdmin } from "./provider-admin";
import { TYPE } from "./provider-sql";
import { ensureServer } from "./server";
import { readState, type AppliedResource } from "./state";
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
}

export async function proveLocal(stack: LocalStack, { signal, onLeftovers }: ProveLocalOptions = {}): Promise<ClaimResult[]> {
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
    return proveOffboarding({ server, spec: tenant.spec, credentials: loginCredentials(own, { loginOnly: false }), otherOrgs });
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
  const gateway = await proveOperatorGateway(tenant.spec, { allowlistDir: paths.operatorAllowlistDir, signal });
  return [...database, ...edge.filter((r) => r.section !== OPERATOR_SECTION), ...gateway, ...edge.filter((r) => r.section === OPERATOR_SECTION)];
}
