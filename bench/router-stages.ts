import { join } from "node:path";
import { orgSpecFromStackConfig } from "../spec/stack-config";
import { readStackFile } from "../harness/stack-file";
import { startEdge, type LocalEdge } from "../local/edge";
import { median } from "./rate";
import { descendantCpuSeconds } from "./process-cpu";
import { routerLoop, STAGE_EDITS, type Stage } from "./router-variants";

/*
 * bench/router-stages: what each stage of the dispatch router costs per request, in workerd.
 * workerd's clock does not advance while a request computes, so nothing is timed inside it:
 * a loop Worker calls the router's handler `passes` times within one request, and workerd's CPU
 * (read from /proc) over that request, divided by `passes`, is the cost of one pass. The router
 * is measured whole and with each stage left out (bench/router-variants.ts); a stage's cost is
 * the difference. The app is a stub here (`app=stub`), so the hop is measured on its own, as the
 * real dispatch against a stub. Rounds alternate; figures are medians. Linux only (/proc).
 *
 *   npm run build && node dist/bench/router-stages.js [passes rounds]
 */

const PASSES = Number(process.argv[2] ?? 5000);
const ROUNDS = Number(process.argv[3] ?? 5);
const PROJECT_DIR = join(__dirname, "..", "..");
const ROUTE_TO = "MF-Route-Override";

interface Loop {
  readonly label: string;
  readonly worker: string;
  readonly query: string;
}

async function main(): Promise<void> {
  const spec = orgSpecFromStackConfig({ ...readStackFile(join(PROJECT_DIR, "stacks", "Pulumi.org-acme.yaml")), now: new Date() });
  const stages = Object.keys(STAGE_EDITS) as Stage[];
  const benchRouters: Record<string, string> = { loop: await routerLoop() };
  for (const [index, stage] of stages.entries()) benchRouters[`loop-${index}`] = await routerLoop(STAGE_EDITS[stage]);
  const edge: LocalEdge = await startEdge(spec, { secretValues: {}, deployed: [{ app: "storefront", environment: "prod" }], benchRouters });
  try {
    const token = await edge.token({ sub: "bench", email: "bench@acme.com", org: "acme", role: "developer", workspaces: ["web"] }, { expiresIn: "1h" });
    const loops: Loop[] = [
      { label: "building the request (the loop's own cost)", worker: "loop", query: "mode=nothing" },
      { label: "dispatch only, to the app", worker: "loop", query: "mode=dispatch" },
      { label: "router, to the app", worker: "loop", query: "mode=router" },
      { label: "dispatch only, to a stub", worker: "loop", query: "mode=dispatch&app=stub" },
      { label: "router, to a stub", worker: "loop", query: "mode=router&app=stub" },
      ...stages.map((stage, index) => ({ label: `router without ${stage}, to a stub`, worker: `loop-${index}`, query: "mode=router&app=stub" })),
    ];
    const run = async (loop: Loop): Promise<number> => {
      const before = descendantCpuSeconds("workerd");
      const answer = await edge.viaRouter(`/loop?n=${PASSES}&path=/prod/storefront/&${loop.query}`, { headers: { authorization: `Bearer ${token}`, [ROUTE_TO]: `bench-${loop.worker}` } });
      const { refused } = (await answer.json()) as { refused: number };
      const after = descendantCpuSeconds("workerd");
      if (refused !== 0) throw new Error(`${loop.label}: ${refused} of ${PASSES} passes refused`);
      if (before === undefined || after === undefined) throw new Error("no /proc: this bench runs on Linux only");
      return ((after - before) * 1e6) / PASSES;
    };
    for (const loop of loops) await run(loop);
    const seen = new Map<Loop, number[]>(loops.map((loop) => [loop, []]));
    for (let round = 0; round < ROUNDS; round += 1) for (const loop of loops) seen.get(loop)?.push(await run(loop));
    const cost = new Map(loops.map((loop) => [loop.label, median(seen.get(loop) ?? [])]));
    const of = (label: string) => cost.get(label) ?? Number.NaN;
    const us = (value: number) => `${value.toFixed(1).padStart(7)} µs`;
    console.log(`bench/router-stages: ${PASSES} passes per request x ${ROUNDS} rounds (median), workerd CPU per pass`);
    for (const loop of loops) console.log(`  ${loop.label.padEnd(58)} ${us(of(loop.label))}`);
    const base = of("building the request (the loop's own cost)");
    const routerStub = of("router, to a stub");
    console.log("  per request, the loop's own cost taken out:");
    console.log(`    the hop (dispatch only to the app - to a stub)          ${us(of("dispatch only, to the app") - of("dispatch only, to a stub"))}`);
    console.log(`    the router's own work (router - dispatch only, stubbed) ${us(routerStub - of("dispatch only, to a stub"))}`);
    for (const stage of stages) console.log(`      of which ${stage.padEnd(45)} ${us(routerStub - of(`router without ${stage}, to a stub`))}`);
    console.log(`    the app, dispatched (dispatch only to the app - loop)   ${us(of("dispatch only, to the app") - base)}`);
  } finally {
    await edge.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
