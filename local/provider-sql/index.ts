import { createDatabase, DATABASE_REPLACES_ON, databaseExists, deleteDatabase, updateDatabase } from "./database";
import { createDefaultPrivileges, DEFAULT_PRIVILEGES_REPLACES_ON, deleteDefaultPrivileges } from "./default-privileges";
import { createOrUpdateGrant, deleteGrant, GRANT_REPLACES_ON } from "./grant";
import { createGrantRole, deleteGrantRole, GRANT_ROLE_DEFAULTS, GRANT_ROLE_REPLACES_ON, readGrantRole } from "./grant-role";
import { createRole, deleteRole, roleExists, updateRole } from "./role";
import { createSqlMigration, deleteSqlMigration, SQL_MIGRATION_REPLACES_ON, updateSqlMigration } from "./sql-migration";
import { createSchema, deleteSchema, SCHEMA_REPLACES_ON, updateSchema } from "./schema";
import type { Inputs, ProviderContext, SqlStep } from "./sql";
import type { TypeBehaviour } from "../changes";

export type { ProviderContext, SqlStep } from "./sql";

/** The type tokens the local apply knows, as the program registers them. */
export const TYPE = {
  randomPassword: "random:index/randomPassword:RandomPassword",
  role: "postgresql:index/role:Role",
  database: "postgresql:index/database:Database",
  grantRole: "postgresql:index/grantRole:GrantRole",
  schema: "postgresql:index/schema:Schema",
  grant: "postgresql:index/grant:Grant",
  defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  /** Any Pulumi dynamic resource; the local apply knows only tenantry's SqlMigration among them. */
  dynamic: "pulumi-nodejs:dynamic:Resource",
} as const;

/** What the provider does for one resource type (random_password has no SQL at all). */
export interface Translation extends TypeBehaviour {
  /**
   * The provider's Exists query, for the types whose create cannot simply run again (CREATE
   * ROLE and CREATE DATABASE fail on an existing name); every other create is repeatable.
   */
  readonly exists?: { readonly query: string; readonly key: string };
  /**
   * The provider's Read after a create, on the provider's connection: the values it stores in
   * the state (`outputs.read`), which the next diff compares with the inputs.
   */
  readonly readBack?: { readonly query: string; readonly params: (inputs: Inputs) => unknown[]; readonly outputs: (row: Record<string, unknown> | undefined) => Record<string, unknown> };
  create(inputs: Inputs, provider: ProviderContext): SqlStep[];
  update(previous: Inputs, inputs: Inputs, provider: ProviderContext): SqlStep[];
  delete(inputs: Inputs, provider: ProviderContext): SqlStep[];
}

const none = () => [];

const TRANSLATIONS: Record<string, Translation> = {
  // random_password lives only in state; every input forces a new value (resource_password.go).
  [TYPE.randomPassword]: {
    replacesOn: ["length", "special", "upper", "lower", "numeric", "minUpper", "minLower", "minNumeric", "minSpecial", "overrideSpecial", "keepers"],
    create: none, update: none, delete: none,
  },
  [TYPE.role]: { replacesOn: [], exists: roleExists, create: createRole, update: updateRole, delete: deleteRole },
  [TYPE.database]: { replacesOn: DATABASE_REPLACES_ON, exists: databaseExists, create: createDatabase, update: updateDatabase, delete: deleteDatabase },
  // Replaced create-first, Pulumi's default: a membership has no name that a second one would collide with.
  [TYPE.grantRole]: {
    replacesOn: GRANT_ROLE_REPLACES_ON, defaults: GRANT_ROLE_DEFAULTS, createsFirst: true, readBack: readGrantRole,
    create: createGrantRole, update: none, delete: deleteGrantRole,
  },
  [TYPE.schema]: { replacesOn: SCHEMA_REPLACES_ON, create: createSchema, update: updateSchema, delete: deleteSchema },
  [TYPE.grant]: {
    replacesOn: GRANT_REPLACES_ON,
    create: (inputs) => createOrUpdateGrant(inputs),
    update: (previous, inputs) => createOrUpdateGrant(inputs, previous),
    delete: deleteGrant,
  },
  [TYPE.dynamic]: { replacesOn: SQL_MIGRATION_REPLACES_ON, create: createSqlMigration, update: updateSqlMigration, delete: deleteSqlMigration },
  [TYPE.defaultPrivileges]: {
    replacesOn: DEFAULT_PRIVILEGES_REPLACES_ON,
    create: createDefaultPrivileges,
    update: (_previous, inputs) => createDefaultPrivileges(inputs),
    delete: deleteDefaultPrivileges,
  },
};

/** Types the local apply manages; components and the stack have no server-side object. */
export function isAppliedLocally(type: string): boolean {
  return type in TRANSLATIONS;
}

export function translationFor(type: string): Translation {
  const translation = TRANSLATIONS[type];
  if (translation === undefined) throw new Error(`internal: the local apply has no translation for ${type}`);
  return translation;
}
