import type { Credentials } from "./attempt";
import type { ClaimResult, OtherOrg } from "./proof/claim";
import { prove } from "./proof/prove";
import { ensureServer } from "./server";
import { readState, type AppliedResource } from "./state";
import type { LocalStack } from "./up";

/*
 * `tenantry prove --local`: the claims of the posture, attempted on the embedded server as the
 * roles the apply created, with the passwords only the local state holds.
 */

const ROLE = "postgresql:index/role:Role";
const DATABASE = "postgresql:index/database:Database";

function loginCredentials(resources: readonly AppliedResource[]): Map<string, Credentials> {
  const credentials = new Map<string, Credentials>();
  for (const r of resources.filter((r) => r.type === ROLE && r.inputs["login"] === true)) {
    const user = r.inputs["name"];
    const password = r.inputs["password"];
    if (typeof user === "string" && typeof password === "string") credentials.set(user, { user, password });
  }
  return credentials;
}

function asOtherOrg(slug: string, resources: readonly AppliedResource[]): OtherOrg | undefined {
  const database = resources.find((r) => r.type === DATABASE)?.inputs["name"];
  const runtime = [...loginCredentials(resources).values()].find((c) => c.user.endsWith("_runtime"));
  return typeof database === "string" && runtime !== undefined ? { slug, database, runtime } : undefined;
}

export async function proveLocal(stack: LocalStack): Promise<ClaimResult[]> {
  const { paths, stackFile, tenant } = stack;
  const state = readState(paths);
  const own = state.stacks[stackFile.stack]?.resources;
  if (own === undefined || own.length === 0) {
    throw new Error(`stack ${stackFile.stack} has not been applied locally: run \`tenantry up --local ${stackFile.stack}\` first`);
  }
  const { server } = await ensureServer(paths);
  const otherOrgs = Object.entries(state.stacks)
    .filter(([name]) => name !== stackFile.stack)
    .map(([name, other]) => asOtherOrg(name.replace(/^org-/, ""), other.resources))
    .filter((o): o is OtherOrg => o !== undefined);
  return prove({ server, spec: tenant.spec, credentials: loginCredentials(own), otherOrgs });
}
