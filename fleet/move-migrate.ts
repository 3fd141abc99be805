import { spawn } from "node:child_process";
import { MoveRefused } from "./move-plan";

/*
 * The tenant's migration command of a move's create-tables step (docs/move.md): run through the
 * shell, as the user typed it, with the environment fleet/move-local-plan.ts migrationEnv built;
 * its output goes to the user's terminal.
 */

export async function runMigration(command: string, env: NodeJS.ProcessEnv, where: string): Promise<void> {
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, { shell: true, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (exitCode) => resolve(exitCode));
  });
  if (code !== 0) throw new MoveRefused(`the migration command exited with ${String(code)} ${where}: fix it and rerun, or roll back with --rollback`);
}
