import type { Command } from "commander";
import type { KeysOptions } from "./commands/keys";

/*
 * `tenantry operators` and `tenantry keys`: the two D1 stores the CLI changes (the operator
 * allowlist, an org's API keys), each locally or, with --remote, production's through
 * Cloudflare's D1 API (cli/d1-target.ts). Registered on the `tenantry` command by cli/main.ts.
 */

export function registerD1StoreCommands(cli: Command, run: (code: Promise<number> | number) => void, projectDir: () => string): void {
  const operators = cli.command("operators").description("the operator gateway's allowlist: who may reach the operator console, as what, until when (local D1 in the local state folder; --remote: production, through Cloudflare's D1 API)");
  const remote = (command: Command) => remoteD1Options(command, "allowlist", "operatorAllowlistDatabaseId in platform/")
    .option("--account-id <id>", "with --remote: the gateway's Cloudflare account (default: tenantry:platform.operators.accountId in platform/Pulumi.platform.yaml)");
  remote(operators.command("grant"))
    .argument("<email>", "the operator's address, as their operator-domain token names it")
    .requiredOption("--role <role>", "support-read (safe methods only), support-write, or admin (also /admin paths)")
    .requiredOption("--granted-by <e-mail>", "who grants it (recorded with the entry)")
    .option("--expires-at <time>", "an ISO 8601 time after which the gateway refuses the entry (default: no expiry)")
    .description("add or replace an operator's allowlist entry; the gateway admits them from their next request")
    .action(async (email: string, options: { role: string; grantedBy: string; expiresAt?: string; remote?: boolean; accountId?: string; databaseId?: string }) =>
      run((await import("./commands/operators.js")).grant(email, options, projectDir())));
  remote(operators.command("revoke"))
    .argument("<email>", "the operator's address")
    .description("remove an operator's allowlist entry; the gateway refuses their very next request")
    .action(async (email: string, options: { remote?: boolean; accountId?: string; databaseId?: string }) => run((await import("./commands/operators.js")).revoke(email, options, projectDir())));
  remote(operators.command("list"))
    .option("--json", "print the entries as JSON")
    .description("print every allowlist entry: address, role, expiry, who granted it and when")
    .action(async (options: { json?: boolean; remote?: boolean; accountId?: string; databaseId?: string }) => run((await import("./commands/operators.js")).list(options, projectDir())));

  const keys = cli.command("keys").description("the org's API keys: mint one for a declared apiKeys slot (shown once, stored as its SHA-256 only), list them, revoke them (local: the D1 the local edge's router reads; --remote: the org's key store in production, through Cloudflare's D1 API, in the stack's edge.accountId)");
  const keyStore = (command: Command) => remoteD1Options(command, "key store", "apiKeysDatabaseId of the org's stack");
  keyStore(keys.command("mint"))
    .argument("<stack>", "a stack name in stacks/ or a path to a Pulumi.<stack>.yaml")
    .argument("<slot>", "one of the org's apiKeys[].name")
    .description("print a new key for the slot, once, and nothing else on stdout (pipe it to where it is kept); only its hash is stored")
    .action(async (stack: string, slot: string, options: KeysOptions) => run((await import("./commands/keys.js")).mint(stack, slot, options, projectDir())));
  keyStore(keys.command("list"))
    .argument("<stack>", "a stack name in stacks/ or a path to a Pulumi.<stack>.yaml")
    .option("--json", "print the records as JSON")
    .description("print every key's id, slot, app, environment, kind, creation and revocation time; never a key or its hash")
    .action(async (stack: string, options: KeysOptions & { json?: boolean }) => run((await import("./commands/keys.js")).list(stack, options, projectDir())));
  keyStore(keys.command("revoke"))
    .argument("<stack>", "a stack name in stacks/ or a path to a Pulumi.<stack>.yaml")
    .argument("<slot-or-id>", "a key id (key_...) or a slot name: every live key of the slot")
    .description("revoke keys; the router refuses them from their very next request")
    .action(async (stack: string, slotOrId: string, options: KeysOptions) => run((await import("./commands/keys.js")).revoke(stack, slotOrId, options, projectDir())));
}

/** The production route's options, the same on every subcommand of operators and keys (cli/d1-target.ts). */
function remoteD1Options(command: Command, store: string, output: string): Command {
  return command
    .option("--remote", `use production's ${store}, through Cloudflare's D1 HTTP API (token from CLOUDFLARE_API_TOKEN), instead of the local one`)
    .option("--database-id <id>", `with --remote: the ${store}'s D1 id (pulumi stack output ${output})`);
}
