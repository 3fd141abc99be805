import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readHolder } from "../../local/lock";
import { CLI_TEST_TIMEOUT_MS, CliProject, waitFor, type Running } from "../helpers/cli-project";

/*
 * `tenantry dev` as a user runs it, in a scratch project: the built command applies org acme,
 * serves its edge on a fixed port, trusts tokens `tenantry token` mints in another process, and
 * lets the port go on Ctrl-C. One dev run serves every claim below.
 */

const cli = new CliProject();
let port: number;
let dev: Running;
let printed: string;
/** A secret key `tenantry keys mint` wrote to the local store before dev started. */
let mintedKey: string;

/** A port nothing listens on now (the system's pick), released for the command to take. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Whether this process can listen on the port: the proof that nothing else does. */
async function canListen(port: number): Promise<boolean> {
  const server: Server = createServer();
  try {
    server.listen({ port, host: "127.0.0.1", exclusive: true });
    await once(server, "listening");
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

/** The processes of a process group, as "pid name" (Linux /proc): the group a terminal's Ctrl-C reaches. */
function processGroup(pgid: number): string[] {
  const members: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited while listed
    }
    // "pid (name) state ppid pgrp ...": the name may hold spaces and parentheses.
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") members.push(`${pid} ${name}`);
  }
  return members;
}

const stdoutOf = async () => {
  let out = "";
  dev.child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  await waitFor("dev's printed curl", () => /\n {2}curl .*\n/.test(out) || dev.child.exitCode !== null, 150_000);
  return out;
};

beforeAll(async () => {
  port = await freePort();
  const minted = cli.run("keys", "mint", "org-acme", "billing-sync");
  expect(minted.code).toBe(0);
  mintedKey = minted.stdout.trim();
  dev = cli.startAsJob("dev", "org-acme", "--port", String(port));
  printed = await stdoutOf();
}, CLI_TEST_TIMEOUT_MS);

afterAll(async () => {
  if (dev.child.exitCode === null) {
    process.kill(-dev.pid, "SIGKILL");
    await dev.finished;
  }
  cli.remove();
});

const via = (path: string, token?: string) =>
  fetch(`http://127.0.0.1:${port}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

describe("tenantry dev", () => {
  it("applies the stack and prints the router on the port asked for, and a curl with a token", () => {
    expect(printed).toMatch(/^org-acme: \d+ created as tenantry, a non-superuser login;/m);
    expect(printed).toContain(`org acme's edge in workerd: http://127.0.0.1:${port}/`);
    expect(printed).not.toContain("proof for");
  });

  it("answers the printed curl's request with what the app received: the identity the router verified", async () => {
    const [, token, url] = /curl -H 'authorization: Bearer ([\w-]+\.[\w-]+\.[\w-]+)' (\S+)/.exec(printed) ?? [];
    expect(url).toBe(`http://127.0.0.1:${port}/dev/storefront/whoami`);
    const response = await fetch(url ?? "", { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const { headers } = (await response.json()) as { headers: Record<string, string> };
    const identity = JSON.parse(Buffer.from(headers["x-tenantry-identity"] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
    expect(identity).toMatchObject({ email: "developer@acme.com", role: "developer", app: "storefront", environment: "dev" });
  });

  it("trusts a token tenantry token mints in another process, and the app can check the identity is the router's", async () => {
    const minted = cli.run("token", "org-acme", "--email", "cfo@acme.com", "--role", "viewer", "--workspaces", "billing");
    expect(minted.code).toBe(0);
    // Nothing but the token on stdout: TOKEN=$(tenantry token ...) works.
    expect(minted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = minted.stdout.trim();
    const verified = await via("/prod/finance-console/verify", token);
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ email: "cfo@acme.com", org: "acme", role: "viewer", workspaces: ["billing"], app: "finance-console" });
    // Valid, but storefront needs a developer: the policy still decides.
    expect((await via("/prod/storefront/", token)).status).toBe(403);
  });

  it("admits a key tenantry keys mint stored, as its slot, only on its own app and environment", async () => {
    const keyed = await via("/prod/invoices/whoami", mintedKey);
    expect(keyed.status).toBe(200);
    const { headers } = (await keyed.json()) as { headers: Record<string, string> };
    const identity = JSON.parse(Buffer.from(headers["x-tenantry-identity"] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
    expect(identity).toMatchObject({ slot: "billing-sync", app: "invoices", environment: "prod" });
    expect(identity).not.toHaveProperty("email");
    // Control: the same key on another environment of its app is refused.
    expect((await via("/dev/invoices/whoami", mintedKey)).status).toBe(403);
  });

  it("refuses a request without a token (401)", async () => {
    const response = await via("/prod/storefront/whoami");
    expect(response.status).toBe(401);
    expect(await response.text()).toBe("401\n");
  });

  it("holds the local state's lock only while applying, not while it serves", () => {
    expect(readHolder(cli.paths.lockFile)).toBeUndefined();
  });

  it("refuses a second dev on the same port at once, naming the port, before applying anything", () => {
    const second = cli.run("dev", "org-acme", "--port", String(port));
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(`error: --port ${port}: 127.0.0.1:${port} is in use by another program; stop it, or pass --port with a free port\n`);
    expect(second.stdout).toBe("");
  });

  it("stops on Ctrl-C as a terminal sends it (SIGINT to the whole process group): exit 130, the port free, no workerd left, Postgres still up", async () => {
    // The controls: until now dev holds the port, and workerd runs in dev's process group.
    expect(await canListen(port)).toBe(false);
    expect(processGroup(dev.pid).some((p) => p.includes("workerd"))).toBe(true);
    process.kill(-dev.pid, "SIGINT");
    const { code, stderr } = await dev.finished;
    expect(code).toBe(130);
    expect(stderr).toContain(`stopped by SIGINT: workerd exited and port ${port} is free; the embedded Postgres keeps running (npx tenantry down --local stops it)\n`);
    expect(await canListen(port)).toBe(true);
    expect(processGroup(dev.pid)).toEqual([]);
    expect((await cli.asSuperuser("postgres", ["SELECT 1 AS up"])).rows).toEqual([{ up: 1 }]);
  });
});
