import { SQL_MIGRATION_KIND } from "../components/sql-migration";
import { createSqlMigration } from "./provider-sql/sql-migration";
import { TYPE } from "./provider-sql";
import { Connections, runSteps, type Connection } from "./sql-runner";
import type { AppliedResource } from "./state";

/*
 * The local counterpart of SqlMigration's diff: a migration that declares a drift query (the
 * audit ledger's coverage) is checked after every apply, even when nothing changed, because the
 * change plan compares inputs with the state and cannot see the database drift. Whatever the
 * query lists is repaired by running the migration's own SQL again, as `pulumi up` does; if the
 * query still lists something after that, the apply fails.
 */

export interface RepairedDrift {
  readonly migration: string;
  /** What the drift query listed before the repair. */
  readonly drift: readonly string[];
}

export class DriftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DriftError";
  }
}

/** The applied SqlMigrations that carry a drift query. */
export function migrationsWithDrift(resources: readonly AppliedResource[]): AppliedResource[] {
  return resources.filter((r) => r.type === TYPE.dynamic && r.inputs["kind"] === SQL_MIGRATION_KIND && typeof r.inputs["drift"] === "string");
}

async function driftOf(connections: Connections, resource: AppliedResource): Promise<string[]> {
  // As SqlMigration's diff reads it: as the provider login, elevated or not.
  const { database, drift } = resource.inputs;
  const client = await connections.to(typeof database === "string" ? database : undefined);
  return (await client.query(String(drift))).rows.map((row: Record<string, unknown>) => String(Object.values(row)[0]));
}

/** Checks every migration's drift query and re-applies the migrations that drifted; returns what was repaired. */
export async function repairDrift(admin: Connection, superuser: Connection, resources: readonly AppliedResource[]): Promise<RepairedDrift[]> {
  const connections = new Connections(admin, superuser);
  const repaired: RepairedDrift[] = [];
  try {
    for (const resource of migrationsWithDrift(resources)) {
      const drift = await driftOf(connections, resource);
      if (drift.length === 0) continue;
      await runSteps(createSqlMigration(resource.inputs), connections, `repair ${resource.name}`);
      const left = await driftOf(connections, resource);
      if (left.length > 0) throw new DriftError(`${resource.name} was re-applied, yet its drift query still lists: ${left.join("; ")}`);
      repaired.push({ migration: String(resource.inputs["migration"]), drift });
    }
  } finally {
    await connections.end();
  }
  return repaired;
}
