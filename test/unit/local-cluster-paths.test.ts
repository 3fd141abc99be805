import fc from "fast-check";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { CLUSTER_NAME } from "../../components/cluster-config";
import { clusterPaths } from "../../local/cluster-servers";
import { localPaths } from "../../local/paths";

/*
 * Each cluster's local server keeps its files in a folder of its own (local/cluster-servers.ts).
 * The adversary is a stack-file author who names a cluster: whatever the name, it must never
 * reach another cluster's files, the default server's, or anything outside `.tenantry/clusters`.
 */

const PROJECT = "/project";
const CLUSTERS = join(localPaths(PROJECT).root, "clusters");
const SERVER_FILES = ["dataDir", "serverFile", "stateFile", "logFile", "providerAdminsFile", "proofFile"] as const;

/** Names shaped like paths, dots and separators included, besides any string. */
const hostileName = fc.oneof(
  fc.string(),
  fc.array(fc.constantFrom("..", ".", "/", "pg-eu-1", "pg", "", "%2e", "\\", "clusters"), { maxLength: 6 }).map((parts) => parts.join("")),
);

describe("a cluster's local files", () => {
  it("are one folder directly below .tenantry/clusters for every name the platform accepts, and nothing else is", () => {
    fc.assert(fc.property(hostileName, (name) => {
      let paths;
      try {
        paths = clusterPaths(PROJECT, name);
      } catch {
        // Refused: only names the platform's own rule refuses.
        expect(CLUSTER_NAME.test(name)).toBe(false);
        return;
      }
      expect(CLUSTER_NAME.test(name)).toBe(true);
      expect(dirname(paths.root)).toBe(CLUSTERS);
      for (const key of SERVER_FILES) expect(relative(paths.root, paths[key]).startsWith("..")).toBe(false);
    }), { numRuns: 2000 });
  });

  it("never share a server file between two clusters or with the default server", () => {
    const name = fc.stringMatching(CLUSTER_NAME).filter((n) => n.length <= 40);
    fc.assert(fc.property(name, name, (a, b) => {
      fc.pre(a !== b);
      const [pa, pb, project] = [clusterPaths(PROJECT, a), clusterPaths(PROJECT, b), localPaths(PROJECT)];
      for (const key of SERVER_FILES) {
        expect(pa[key]).not.toBe(pb[key]);
        expect(pa[key]).not.toBe(project[key]);
      }
      // One local command at a time, whichever servers it reaches.
      expect(pa.lockFile).toBe(project.lockFile);
    }));
  });
});
