import { SpecError } from "../../spec/spec-errors";
import { EXIT_OK, EXIT_VIOLATIONS } from "../exit-codes";

/*
 * `tenantry prove <stacks...> --local | --server-url <url>`: the posture proven on the embedded
 * Postgres (attempted as each role, cli/commands/local.ts), or read from a deployed server's
 * catalog as the stack's provider login, read-only (remote/prove-server.ts). Exit 0 when every
 * claim holds (skipped ones aside), 1 when one is broken, 2 on invalid input: the URL, its login,
 * a superuser, or a server that refuses the login.
 */

export interface ProveOptions {
  readonly local?: boolean;
  readonly serverUrl?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

export async function prove(stacks: string[], options: ProveOptions, projectDir: string): Promise<number> {
  const { local, serverUrl, json, verbose } = options;
  if (local === true && serverUrl !== undefined) {
    throw new SpecError([{ field: "--server-url", message: "--local and --server-url do not go together: --local proves the embedded Postgres, --server-url reads a deployed server" }]);
  }
  if (serverUrl !== undefined) return proveDeployed(stacks, serverUrl, { json: json === true, verbose: verbose === true }, projectDir);
  if (local === true) return (await import("./local.js")).proveLocalCommand(stacks, { json: json === true, verbose: verbose === true }, projectDir);
  throw new SpecError([{ field: "--local", message: "tenantry prove needs --local (the embedded Postgres) or --server-url <url> (a deployed server, read-only)" }]);
}

async function proveDeployed(stacks: string[], serverUrl: string, { json, verbose }: { json: boolean; verbose: boolean }, projectDir: string): Promise<number> {
  const [stack, ...more] = stacks;
  if (stack === undefined || more.length > 0) throw new SpecError([{ field: "stack", message: "--server-url proves one stack: name exactly one" }]);
  const [{ readStackFile, resolveStackFile }, { tenantStackFromConfig }, { proveServer }, { proofJson, renderProof }, { outputWidth }] = await Promise.all([
    import("../../harness/stack-file.js"), import("../../spec/stack-config.js"), import("../../remote/prove-server.js"),
    import("../render-proof.js"), import("../terminal.js"),
  ]);
  const stackFile = readStackFile(resolveStackFile(stack, projectDir));
  const tenant = tenantStackFromConfig({ ...stackFile, now: new Date() });
  const proof = await proveServer(tenant, serverUrl, { PGPASSWORD: process.env["PGPASSWORD"] });
  if (proof.passwordInUrl) console.error("warning: the password in --server-url can be read from the process list and shell history; prefer PGPASSWORD");
  if (json) {
    console.log(JSON.stringify(proofJson([{ stack: stackFile.stack, target: proof.target, results: proof.results }]), null, 2));
  } else {
    console.log(`\nproof for ${stackFile.stack} on ${proof.target}: read-only, as ${proof.login}, from the catalog (sslmode ${proof.sslmode}); ` +
      "claims that need a tenant login or would write are skipped\n");
    // The URL stays out of the hint: the user has it, and it may carry a password.
    const seeAll = `every claim with its attempt: npx tenantry prove ${stackFile.stack} --server-url <url> --verbose`;
    console.log(renderProof(proof.results, { verbose, width: outputWidth(), seeAll }));
  }
  return proof.results.some((r) => r.status === "fail") ? EXIT_VIOLATIONS : EXIT_OK;
}
