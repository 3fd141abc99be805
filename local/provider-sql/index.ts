import { createDatabase, DATABASE_REPLACES_ON, deleteDatabase, updateDatabase } from "./database";
import { createDefaultPrivileges, DEFAULT_PRIVILEGES_REPLACES_ON, deleteDefaultPrivileges } from "./default-privileges";
import { createOrUpdateGrant, deleteGrant, GRANT_REPLACES_ON } from "./grant";
import { createGrantRole, deleteGrantRole, GRANT_ROLE_REPLACES_ON } from "./grant-role";
import { createRole, deleteRole, updateRole } from "./role";
import { createSchema, deleteSchema, SCHEMA_REPLACES_ON, updateSchema } from "./schema";
import type { Inputs, ProviderContext, SqlStep } from "./sql";

export type { ProviderContext, SqlStep } from "./sql";

/** What the provider does for one resource type; `undefined` SQL means the type has no server-side object. */
export interface Translation {
  readonly replacesOn: readonly string[];
  create(inputs: Inputs, provider: ProviderContext): SqlStep[];
  update(previous: Inputs, inputs: Inputs, provider: ProviderContext): SqlStep[];
  delete(inputs: Inputs, provider: ProviderContext): SqlStep[];
}

const none = () => [];

const TRANSLATIONS: Record<string, Translation> = {
  // random_password lives only in state; every input forces a new value (resource_password.go).
  "random:index/randomPassword:RandomPassword": {
    replacesOn: ["length", "special", "upper", "lower", "numeric", "minUpper", "minLower", "minNumeric", "minSpecial", "overrideSpecial", "keepers"],
    create: none, update: none, delete: none,
  },
  "postgresql:index/role:Role": { replacesOn: [], create: createRole, update: updateRole, delete: deleteRole },
  "postgresql:index/database:Database": { replacesOn: DATABASE_REPLACES_ON, create: createDatabase, update: updateDatabase, delete: deleteDatabase },
  "postgresql:index/grantRole:GrantRole": { replacesOn: GRANT_ROLE_REPLACES_ON, create: createGrantRole, update: none, delete: deleteGrantRole },
  "postgresql:index/schema:Schema": { replacesOn: SCHEMA_REPLACES_ON, create: createSchema, update: updateSchema, delete: deleteSchema },
  "postgresql:index/grant:Grant": {
    replacesOn: GRANT_REPLACES_ON,
    create: (inputs) => createOrUpdateGrant(inputs),
    update: (previous, inputs) => createOrUpdateGrant(inputs, previous),
    delete: deleteGrant,
  },
  "postgresql:index/defaultPrivileges:DefaultPrivileges": {
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
