import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/*
 * Org stack files for the benchmarks, made from the example org (stacks/Pulumi.org-acme.yaml),
 * so each stays as compliant, and as rich, as the example.
 */

const PROJECT_DIR = join(__dirname, "..", "..");
const EXAMPLE_WORKSPACES = "      - slug: web\n      - slug: billing\n";

export const exampleStackText = (): string => readFileSync(join(PROJECT_DIR, "stacks", "Pulumi.org-acme.yaml"), "utf8");

/** Org acme with `workspaces` workspaces (web, billing, then ws002, ws003, ...): its apps and keys stay in web and billing. */
export function orgWithWorkspaces(workspaces: number, template: string = exampleStackText()): string {
  if (!template.includes(EXAMPLE_WORKSPACES)) throw new Error("the example org no longer lists exactly web and billing: update bench/generated-orgs.ts");
  const slugs = Array.from({ length: workspaces }, (_, i) => (i === 0 ? "web" : i === 1 ? "billing" : `ws${String(i).padStart(3, "0")}`));
  return template.replace(EXAMPLE_WORKSPACES, slugs.map((slug) => `      - slug: ${slug}\n`).join(""));
}

/** `count` org stacks like the example in `dir`/stacks, each its own slug, a third of them sandbox, half with a third workspace. */
export function writeOrgStacks(dir: string, count: number): void {
  const template = exampleStackText();
  mkdirSync(join(dir, "stacks"), { recursive: true });
  for (let i = 0; i < count; i += 1) {
    const slug = `bench${String(i).padStart(4, "0")}`;
    let body = template.replaceAll("acme", slug);
    if (i % 3 === 0) body = body.replace("tier: production", "tier: sandbox");
    if (i % 2 === 0) body = body.replace("      - slug: billing\n", "      - slug: billing\n      - slug: ops\n");
    writeFileSync(join(dir, "stacks", `Pulumi.org-${slug}.yaml`), body);
  }
}
