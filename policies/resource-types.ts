import { isProviderType } from "../components/provider-plan";
import { COMPONENT_TYPES } from "../components/type-tokens";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * The resource types an org stack may declare: exactly the ones the program declares, so a
 * resource kind nobody judged (a foreign data wrapper, a SECURITY DEFINER function, a deprecated
 * alias of an allowed type under another token, a Worker of another kind) is refused without
 * anyone naming it. Another rule judges what each allowed type holds. Adding a resource type to
 * the program means adding it here, on purpose, with the rule that judges it.
 */

/** Every custom resource type the program declares, by its type token (each is an SDK class's). */
export const DECLARED_RESOURCE_TYPES: readonly string[] = [
  // The org database, its roles, schemas and grants, and the provider login's membership.
  "postgresql:index/role:Role",
  "postgresql:index/database:Database",
  "postgresql:index/schema:Schema",
  "postgresql:index/grant:Grant",
  "postgresql:index/defaultPrivileges:DefaultPrivileges",
  "postgresql:index/grantRole:GrantRole",
  // Secrets by reference: the org's key, its secrets, and the outbound Worker's identity.
  "aws:kms/key:Key",
  "aws:kms/alias:Alias",
  "aws:secretsmanager/secret:Secret",
  "aws:secretsmanager/secretVersion:SecretVersion",
  "aws:iam/user:User",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/accessKey:AccessKey",
  // The edge: the dispatch namespace, the router and outbound Workers, their keys in the
  // account's Secrets Store (the platform stack's: see PLATFORM_ONLY_TYPES).
  "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace",
  "cloudflare:index/workersScript:WorkersScript",
  "cloudflare:index/secretsStoreSecret:SecretsStoreSecret",
  // The org's API key store (cloudflare-api-key-store-consistent says which D1 database is allowed).
  "cloudflare:index/d1Database:D1Database",
  // Generated passwords.
  "random:index/randomPassword:RandomPassword",
  // SqlMigration; postgres-migrations-match-platform-sql judges which migration and what SQL.
  "pulumi-nodejs:dynamic:Resource",
];

/**
 * Types the platform stack declares for every org, which an org stack therefore never does, with
 * why: the refusal says where the thing comes from instead.
 */
export const PLATFORM_ONLY_TYPES: Readonly<Record<string, string>> = {
  "cloudflare:index/secretsStore:SecretsStore": "Cloudflare allows one Secrets Store per account, so the platform stack creates it and an org names it in edge.secretsStoreId",
  "cloudflare:index/workersRoute:WorkersRoute": "the only route tenantry declares is the platform's operator gateway's; an org's router is reached through its own zone setup",
};

export const isPlatformOnlyType = (type: string) => Object.hasOwn(PLATFORM_ONLY_TYPES, type);

const PLATFORM_COMPONENTS: readonly string[] = [COMPONENT_TYPES.promotionGates, COMPONENT_TYPES.accountSecretsStores, COMPONENT_TYPES.operatorGateway, COMPONENT_TYPES.postgresCluster];
const ORG_STACK_COMPONENTS: readonly string[] = Object.values(COMPONENT_TYPES).filter((type) => !PLATFORM_COMPONENTS.includes(type));
const STACK = "pulumi:pulumi:Stack";

/** Types that create nothing themselves: the stack, tenantry's components, and providers (judged by the *-org-provider rules). */
const isStructural = (type: string) => type === STACK || ORG_STACK_COMPONENTS.includes(type) || isProviderType(type);

export const stackResourceTypesAllowed: TenantryStackPolicy = {
  name: "stack-resource-types-allowed",
  description: "An org stack declares only the resource types the program declares: any other Postgres, AWS, Cloudflare or dynamic resource type is refused.",
  rationale: "A type nobody judged is a way around every other rule: a foreign server, a function or a deprecated alias of an allowed type (under another type token, which the grant rules do not read) would slip past rules written for the allowed types.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    // The platform stack declares no org; a stack with several is still judged here.
    if (!args.resources.some((r) => r.type === COMPONENT_TYPES.orgTenant)) return;
    for (const resource of args.resources) {
      if (isStructural(resource.type) || DECLARED_RESOURCE_TYPES.includes(resource.type)) continue;
      const why = PLATFORM_ONLY_TYPES[resource.type] ?? "an org stack holds only the resource types the program declares";
      reportViolation(`${resource.name} is a ${resource.type}, which no org declares: ${why} (docs/policy-pack.md#resource-types).`, resource.urn);
    }
  },
};
