import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";

/*
 * The floors of bench/check-floors.ts and bench/cold-floor-probe.ts register an org's resources
 * again with no tenantry program around them: each by its own SDK class (so with the output
 * properties that class declares), or bare where it has none (a dynamic resource).
 */

/** A custom resource of any type, with no SDK class and so no declared output properties. */
export class BareResource extends pulumi.CustomResource {
  constructor(type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(type, name, props, opts);
  }
}

type ResourceClass = new (name: string, inputs: Record<string, unknown>) => pulumi.CustomResource;

/**
 * `aws:iam/user:User` from @pulumi/aws/iam/user, `postgresql:index/grant:Grant` from
 * @pulumi/postgresql/grant: the module file named like the token's, ignoring case
 * (`cloudflare:index/d1Database` is d1database.js), loaded per service as the program loads them.
 * Undefined for a type of no such package (a dynamic or component type).
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

export interface RegisteredShape { readonly type: string; readonly name: string; readonly inputs: Record<string, unknown>; readonly custom: boolean }

/**
 * The custom resources (providers aside), each with its SDK class resolved once, here, so a timed
 * run only registers them: the returned function registers them with the inputs they had, each by
 * its class or bare.
 */
export function registrationsBySdkClass(resources: readonly RegisteredShape[]): () => void {
  const custom = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")).map((r) => ({ ...r, Class: sdkClass(r.type) }));
  return () => {
    for (const { type, name, inputs, Class } of custom) {
      if (Class === undefined) new BareResource(type, name, inputs);
      else new Class(name, inputs);
    }
  };
}
