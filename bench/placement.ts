import type { ClusterConfig } from "../components/cluster-config";
import { fleetProblems, loadsOf, proposeClusters, type NewOrg } from "../fleet/placement";
import { median } from "./median";

/*
 * bench/placement: place 10,000 generated orgs, one after the other, on 50 clusters with the
 * planner `placement plan` and `onboard` use, then run the fleet check over the result. Pure
 * computation (no files, no Pulumi); each figure is the median of several rounds.
 *
 *   npm run bench:placement [-- orgs clusters rounds]
 */

const ORGS = Number(process.argv[2] ?? 10_000);
const CLUSTERS = Number(process.argv[3] ?? 50);
const ROUNDS = Number(process.argv[4] ?? 5);
const REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2"];

/** A small deterministic generator (mulberry32), so every run places the same fleet. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const next = random(18);
const between = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));

const clusters: ClusterConfig[] = Array.from({ length: CLUSTERS }, (_, i) => ({
  name: `pg-${i}`, region: REGIONS[i % REGIONS.length] ?? "eu-west-1", engineVersion: "17", instanceClass: "db.r7g.2xlarge", instances: 2,
  maxConnections: between(5_000, 10_000), maxDatabases: 300, ...(i % 2 === 0 ? { reserveConnections: 200 } : {}),
}));
const orgs: NewOrg[] = Array.from({ length: ORGS }, (_, i) => ({
  stack: `org-bench${i}`, maxConnections: between(5, 60), ...(i % 4 === 0 ? {} : { region: REGIONS[i % REGIONS.length] }),
}));

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

const placeTimes: number[] = [];
const checkTimes: number[] = [];
let placed = 0;
let refused: string[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const start = process.hrtime.bigint();
  const { proposals } = proposeClusters(loadsOf(clusters, []).loads, orgs);
  placeTimes.push(seconds(start));
  const demands = proposals.flatMap((p, i) => (p.cluster === undefined ? [] : [{ stack: p.stack, cluster: p.cluster, maxConnections: orgs[i]?.maxConnections ?? 0 }]));
  placed = demands.length;
  const check = process.hrtime.bigint();
  refused = fleetProblems(clusters, loadsOf(clusters, demands));
  checkTimes.push(seconds(check));
}

console.log(`placement of ${ORGS.toLocaleString("en-US")} orgs on ${CLUSTERS} clusters: ${median(placeTimes).toFixed(3)} s (median of ${ROUNDS}); ${placed.toLocaleString("en-US")} placed, ${(ORGS - placed).toLocaleString("en-US")} without room`);
console.log(`fleet check over them: ${median(checkTimes).toFixed(3)} s; ${refused.length === 0 ? "no cluster over-committed" : `REFUSED: ${refused.join("; ")}`}`);
if (refused.length > 0) process.exitCode = 1;
