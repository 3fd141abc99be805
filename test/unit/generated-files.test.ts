import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED_FILES } from "../../reference/generated-files";

const root = join(__dirname, "..", "..");

describe("generated reference files", () => {
  it("are registered (a page listed here is checked below)", () => {
    expect(GENERATED_FILES.length).toBeGreaterThan(0);
  });

  it.each(GENERATED_FILES.map((file) => [file.path, file] as const))("%s is what its source renders today (run `npm run generate` when this fails)", async (path, file) => {
    const committed = readFileSync(join(root, path), "utf8");
    expect(committed, `${path} is stale: it is rendered from ${file.source}; run npm run generate and commit the result`).toBe(await file.render());
  });
});
