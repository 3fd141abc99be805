import { SQL_MIGRATION_KIND } from "../../components/sql-migration";
import { bool, requiredStr, type Inputs, type SqlStep } from "./sql";

/*
 * tenantry's own SqlMigration (components/sql-migration.ts), a Pulumi dynamic resource: the very
 * SQL its provider runs, in one transaction, in the migration's database. Deleting runs nothing.
 */

export const SQL_MIGRATION_REPLACES_ON = ["database"] as const;

function apply(inputs: Inputs): SqlStep[] {
  if (inputs["kind"] !== SQL_MIGRATION_KIND) {
    throw new Error("the local apply only translates tenantry's SqlMigration among dynamic resources");
  }
  return [{
    database: requiredStr(inputs, "database"),
    transaction: true,
    statements: [requiredStr(inputs, "sql")],
    elevated: bool(inputs, "elevated", false),
  }];
}

export const createSqlMigration = apply;
export const updateSqlMigration = (_previous: Inputs, inputs: Inputs) => apply(inputs);
export const deleteSqlMigration = (): SqlStep[] => [];
