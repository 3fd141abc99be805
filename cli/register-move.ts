import type { Command } from "commander";

/*
 * `tenantry move`: a placed org's database moved between two clusters' local servers (docs/move.md).
 * Registered on the `tenantry` command by cli/main.ts, beside placement.
 */

export function registerMoveCommand(cli: Command, run: (code: Promise<number> | number) => void, projectDir: () => string): void {
  cli.command("move")
    .argument("<stack>", "a placed org's stack name in stacks/ (org-acme) or a path to its Pulumi.<stack>.yaml")
    .option("--to <cluster>", "the cluster of tenantry:platform.clusters to move the org to (a rerun resumes the saved move; --to must then agree)")
    .option("--migrate <command>", "the org's schema migrations, run once per environment on the target as that environment's DDL role (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, TENANTRY_ENVIRONMENT); needed when the org has tables")
    .option("--rollback", "undo an unfinished move before its switch: the source's logins back, the target's copy dropped")
    .option("--finish", "after a completed switch: drop the old copy (database and roles) from the source cluster")
    .description("move a placed org's database to another cluster on the local servers: freeze, copy, verify, then switch placement.cluster; resumable, the old copy kept until --finish")
    .action(async (stack: string, options: { to?: string; migrate?: string; rollback?: boolean; finish?: boolean }) =>
      run((await import("./commands/move.js")).move(stack, options, projectDir())));
}
