import { isAbsolute, relative, resolve } from "node:path";
import type { ProvenClaim, ReportEvidence } from "../../report/build-model";
import type { ReportModel } from "../../report/report-model";
import type { LocalStack } from "../../local/up";
import { EXIT_OK, EXIT_VIOLATIONS } from "../exit-codes";
import { withLocalSession } from "../local-session";
import { refuseWhileMoving } from "../../fleet/move-record";
import { checkOutPath, readSavedProofFile, writePage } from "../report-files";

/*
 * `tenantry report <stack> [--out <file>] [--proof <saved.json>]`: the org's trust page, built from
 * evidence (report/build-model.ts). Without --proof the stack is applied to the embedded Postgres
 * as `up --local` does (nothing to do when it is already as declared) and proven afresh, so the
 * page proves the stack file as it is now, not an older apply of it. With --proof, a saved
 * `prove --local --json` result of this stack is read instead. The page is written whatever the
 * evidence says; exit 1 when a claim is broken or a mandatory rule fails, 2 on invalid input.
 */

export interface ReportOptions {
  readonly out?: string;
  readonly proof?: string;
}

export type ProofEvidence = ReportEvidence["proof"];

export async function report(stack: string, options: ReportOptions, projectDir: string): Promise<number> {
  const started = Date.now();
  const { loadLocalStack } = await import("../../local/up.js");
  const loaded = loadLocalStack(projectDir, stack);
  const out = resolve(process.cwd(), options.out ?? `report-${loaded.stackFile.stack}.html`);
  const shown = isAbsolute(options.out ?? "") ? out : relative(process.cwd(), out);
  // Checked before the proof's tens of seconds, not after.
  checkOutPath(out, options.out ?? shown);
  const proof = options.proof === undefined ? await freshProof(loaded, projectDir) : await savedProof(loaded, options.proof);
  const { model, html } = await buildReport(loaded, proof);
  writePage(out, options.out ?? shown, html);
  const { hold, broken, skipped } = model.proof.counts;
  const failedRules = model.policies.filter((p) => p.outcome === "fail" && p.enforcement === "mandatory").length;
  console.log(`wrote ${shown} (${Buffer.byteLength(html).toLocaleString("en-US")} bytes) for ${loaded.stackFile.stack}: proof ${proof.source.kind === "fresh" ? "fresh" : `saved, from ${options.proof ?? ""}, proved at ${proof.provedAt}`}; ` +
    `claims: ${hold} hold, ${broken} broken, ${skipped} skipped; rules: ${model.policies.filter((p) => p.outcome === "pass").length} of ${model.policies.length} pass (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return broken > 0 || failedRules > 0 ? EXIT_VIOLATIONS : EXIT_OK;
}

/** The model from the proof and the rest of the evidence (the pack over the stack, the router's configuration), and the page. */
export async function buildReport(loaded: LocalStack, proof: ProofEvidence): Promise<{ readonly model: ReportModel; readonly html: string }> {
  const [{ buildReportModel }, { stackPolicyOutcomes, routerOf }, { renderReportHtml }, { versionInfo }, { redactStrings }, { knownSecretValues }] = await Promise.all([
    import("../../report/build-model.js"), import("../../report/gather-evidence.js"), import("../../report/render-html.js"), import("../version.js"),
    import("../../report/redact.js"), import("../report-secrets.js"),
  ]);
  const { outcomes } = await stackPolicyOutcomes(loaded.stackFile.path);
  const router = routerOf(loaded.tenant.spec);
  const built = buildReportModel({
    spec: loaded.tenant.spec, ...(router === undefined ? {} : { router }), proof, policies: outcomes, tenantry: versionInfo(), generatedAt: new Date().toISOString(),
  });
  // Whatever text a proof (a saved file above all) carries, no secret this command could know reaches the page.
  const model = redactStrings(built, knownSecretValues(loaded.paths));
  return { model, html: renderReportHtml(model) };
}

/** A saved proof of this stack, validated at the edge (report/saved-proof.ts). */
export async function savedProof(loaded: LocalStack, file: string): Promise<ProofEvidence> {
  const text = readSavedProofFile(file, loaded.stackFile.stack);
  const { savedProofOf } = await import("../../report/saved-proof.js");
  const { proof, stack } = savedProofOf(text, file, loaded.stackFile.stack);
  return { source: { kind: "saved", file }, target: stack.target, provedAt: proof.provedAt, claims: stack.claims as readonly ProvenClaim[] };
}

/** Applies the stack as `up --local` does, then proves it as `prove --local` does, in one local session. */
async function freshProof(loaded: LocalStack, projectDir: string): Promise<ProofEvidence> {
  let evidence: ProofEvidence | undefined;
  await withLocalSession(projectDir, async ({ signal }) => {
    const [{ upLocal }, local] = await Promise.all([import("../../local/up.js"), import("./local.js")]);
    refuseWhileMoving(projectDir, "report", [loaded.tenant.spec.slug]);
    const onLeftovers = await local.leftoverReporter();
    const applied = Date.now();
    const result = await upLocal(loaded, { signal, onLeftovers });
    console.error(local.describeUp(loaded.stackFile.stack, result, ((Date.now() - applied) / 1000).toFixed(1)));
    const [proof] = await local.proveStacks([loaded], signal, onLeftovers);
    evidence = { source: { kind: "fresh" }, target: proof?.target ?? "embedded", provedAt: new Date().toISOString(), claims: proof?.results ?? [] };
    return EXIT_OK;
  });
  if (evidence === undefined) throw new Error("internal: the local session ended without a proof");
  return evidence;
}
