import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { sqlMigrationProviderCode } from "../components/sql-migration";
import { registrationsBySdkClass, type RegisteredShape } from "./sdk-resources";

/*
 * A cold check's floor, as its own process (bench/check-floors.ts times it whole, as bench/check
 * times the bare require): load the Pulumi SDK, serialize the SqlMigration provider, load each SDK
 * class the org uses (per service, as the program does) and register the org's resources with the
 * inputs they had, under Pulumi's mocks, with no tenantry program, spec or pack around them.
 *
 *   node dist/bench/cold-floor-probe.js <registered-resources.json>
 */

async function main(file: string): Promise<void> {
  const register = registrationsBySdkClass(JSON.parse(readFileSync(file, "utf8")) as RegisteredShape[]);
  pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: () => ({}) }, "tenantry", "org-acme", true);
  await sqlMigrationProviderCode();
  await pulumi.runtime.runInPulumiStack(async () => {
    register();
    return {};
  });
  await pulumi.runtime.disconnect();
}

main(process.argv[2] ?? "").then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
