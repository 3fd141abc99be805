import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { sqlMigrationProviderCode } from "../components/sql-migration";

/*
 * A cold check's floor, as its own process (bench/check-floors.ts times it whole, as bench/check
 * times the bare require): load the Pulumi SDK, serialize the SqlMigration provider, load each SDK
 * class the org uses (per service, as the program does) and register the org's resources with the
 * inputs they had, under Pulumi's mocks, with no tenantry program, spec or pack around them.
 *
 *   node dist/bench/cold-floor-probe.js <registered-resources.json>
 */

interface Registered { readonly type: string; readonly name: string; readonly inputs: Record<string, unknown>; readonly custom: boolean }
type ResourceClass = new (name: string, inputs: Record<string, unknown>) => pulumi.CustomResource;

class BareResource extends pulumi.CustomResource {
  constructor(type: string, name: string, props: pulumi.Inputs) {
    super(type, name, props);
  }
}

/**
 * `aws:iam/user:User` from @pulumi/aws/iam/user, `postgresql:index/grant:Grant` from
 * @pulumi/postgresql/grant: the module file named like the token's, ignoring case
 * (`cloudflare:index/d1Database` is d1database.js).
 */
function sdkClass(type: string): ResourceClass | undefined {
  const [pkg = "", module = "", name = ""] = type.split(":");
  if (!["aws", "cloudflare", "postgresql", "random"].includes(pkg)) return undefined;
  const wanted = `${module.replace(/^index\//, "")}.js`.toLowerCase();
  const root = dirname(require.resolve(`@pulumi/${pkg}/package.json`));
  const folder = dirname(join(root, wanted));
  const file = readdirSync(folder).find((f) => f.toLowerCase() === basename(wanted));
  if (file === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- per service, as the program loads them
  return (require(join(folder, file)) as Record<string, ResourceClass | undefined>)[name];
}

async function main(file: string): Promise<void> {
  const resources = (JSON.parse(readFileSync(file, "utf8")) as Registered[]).filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
  pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: () => ({}) }, "tenantry", "org-acme", true);
  await sqlMigrationProviderCode();
  await pulumi.runtime.runInPulumiStack(async () => {
    for (const { type, name, inputs } of resources) {
      const Class = sdkClass(type);
      if (Class === undefined) new BareResource(type, name, inputs);
      else new Class(name, inputs);
    }
    return {};
  });
  await pulumi.runtime.disconnect();
}

main(process.argv[2] ?? "").then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
