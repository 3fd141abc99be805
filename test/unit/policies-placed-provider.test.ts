import { describe, expect, it } from "vitest";
import { orgFactsOf } from "../../components/org-facts";
import { postgresProviderArgs } from "../../components/provider-plan";
import { postgresProviderFindings } from "../../policies/provider-inputs";
import { parseOrgSpec } from "../../spec/spec";
import { placedProviderSettings } from "../../spec/placement-connection";
import type { ProviderSettings } from "../../spec/provider-settings";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/*
 * The pack's Postgres provider rule for IAM auth: a placed org's provider logs in with an RDS IAM
 * token for its cluster's region and no password; an org on its own server uses none of it.
 * One happy-path provider per case, one change per test.
 */

const spec = parseOrgSpec(validOrgInput(), { now: NOW });
const login = { adminRole: "tenantry", database: "postgres", sslmode: "require", maxConnections: 2 } as const;
const ownServer: ProviderSettings = { ...login, host: "pg.tenants.internal", port: 5432 };
const placed = placedProviderSettings(login, { endpoint: "pg-eu-1.cluster-x.eu-west-1.rds.amazonaws.com", port: 5432, region: "eu-west-1" });

const findings = (settings: ProviderSettings, props: Record<string, unknown>) => postgresProviderFindings(props, orgFactsOf(spec, settings));

describe("the Postgres provider rule, for IAM auth", () => {
  it("accepts a placed org's provider as the program builds it, and an unplaced org's", () => {
    expect(findings(placed, { ...postgresProviderArgs(placed) })).toEqual([]);
    expect(findings(ownServer, { ...postgresProviderArgs(ownServer) })).toEqual([]);
    expect(postgresProviderArgs(placed)).toMatchObject({ awsRdsIamAuth: true, awsRdsIamRegion: "eu-west-1" });
  });

  it("refuses a placed org's provider without IAM auth", () => {
    const { awsRdsIamAuth: _off, ...props } = postgresProviderArgs(placed) as Record<string, unknown>;
    expect(findings(placed, props)).toEqual(["awsRdsIamAuth is undefined: a placed org's provider logs in with an RDS IAM token."]);
  });

  it("refuses a placed org's provider signing for another region", () => {
    expect(findings(placed, { ...postgresProviderArgs(placed), awsRdsIamRegion: "us-east-1" })).toEqual(["awsRdsIamRegion is us-east-1: it must be the cluster's region eu-west-1."]);
  });

  it("refuses a placed org's provider that holds a password", () => {
    expect(findings(placed, { ...postgresProviderArgs(placed), password: "hunter2" })).toEqual(["password is set: a placed org's provider logs in with an RDS IAM token and holds no database password."]);
  });

  it("refuses IAM settings on an org that is not placed", () => {
    expect(findings(ownServer, { ...postgresProviderArgs(ownServer), awsRdsIamAuth: true, awsRdsIamRegion: "eu-west-1" }))
      .toEqual(["awsRdsIamAuth or awsRdsIamRegion is set, but the org is not placed on a platform cluster: remove them."]);
  });

  it("refuses a placed org's provider pointed at another host than its cluster's endpoint", () => {
    expect(findings(placed, { ...postgresProviderArgs(placed), host: "pg.elsewhere.example" }))
      .toEqual(["host is pg.elsewhere.example: it must be the stack's postgresql:host pg-eu-1.cluster-x.eu-west-1.rds.amazonaws.com."]);
  });
});
