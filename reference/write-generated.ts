import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GENERATED_FILES } from "./generated-files";

/** `npm run generate`: renders every generated file into the project, from the project root. */
async function main(): Promise<void> {
  const root = join(__dirname, "..", "..");
  for (const file of GENERATED_FILES) {
    const target = join(root, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await file.render());
    console.log(`wrote ${file.path} (from ${file.source})`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
