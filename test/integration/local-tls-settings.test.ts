import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { upLocal } from "../../local/up";
import { localStack } from "../helpers/local";
import { PROVIDER_CONFIG } from "../helpers/spec-builder";

/*
 * The local apply talks to its own embedded server, never over the stack's TLS settings: a stack
 * that trusts a root bundle and presents a client certificate that exist only on the real
 * deploy machine still applies locally.
 */

describe("tenantry up --local with postgresql:sslrootcert and postgresql:clientcert", () => {
  it("applies the stack, though neither file is on this machine", async () => {
    const dir = join(inject("localDir"), "stacks-tls");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "Pulumi.org-tango.yaml");
    writeFileSync(file, stringify({
      config: {
        ...PROVIDER_CONFIG,
        "postgresql:database": "postgres",
        "postgresql:sslmode": "verify-full",
        "postgresql:sslrootcert": "./rds-global-bundle.pem",
        "postgresql:clientcert": { cert: "./deploy.crt", key: "./deploy.key" },
        "tenantry:org": { slug: "tango", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["tango.example"], breakGlass: { enabled: false } },
      },
    }));
    const result = await upLocal(localStack(file, "tango"));
    expect(result.changes.length).toBeGreaterThan(10);
    expect(new Set(result.changes.map((c) => c.kind))).toEqual(new Set(["create"]));
  });
});
