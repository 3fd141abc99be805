import { readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { localPaths } from "../../local/paths";
import type { ServerInfo } from "../../local/server";
import { ApplyError, Connections, runSteps } from "../../local/sql-runner";

/*
 * What a refused change left behind, as the runner reports it on the test run's real server: the
 * apply keeps a change pending (and the CLI says the next run resumes) only when part of it took
 * effect.
 */

const server = JSON.parse(readFileSync(localPaths(inject("localDir")).serverFile, "utf8")) as ServerInfo;

describe("a refused change", () => {
  const connection = { host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres" };
  const refused = async (steps: Parameters<typeof runSteps>[0]) => {
    const connections = new Connections(connection, connection);
    try {
      await runSteps(steps, connections, "change");
      throw new Error("expected the server to refuse");
    } catch (error) {
      expect(error).toBeInstanceOf(ApplyError);
      return (error as ApplyError).partial;
    } finally {
      await connections.end();
    }
  };
  const fails = "SELECT * FROM no_such_table";

  it("left nothing when its only transaction was rolled back", async () => {
    expect(await refused([{ database: undefined, transaction: true, statements: ["SELECT 1", fails] }])).toBe(false);
  });

  it("left part of itself when an earlier step had committed, or an autocommitted statement had run", async () => {
    expect(await refused([{ database: undefined, transaction: true, statements: ["SELECT 1"] }, { database: undefined, transaction: true, statements: [fails] }])).toBe(true);
    expect(await refused([{ database: undefined, transaction: false, statements: ["SELECT 1", fails] }])).toBe(true);
  });
});
