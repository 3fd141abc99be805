import Module from "node:module";

/** What Pulumi's dynamic provider host calls on a SqlMigration's provider. */
export interface LoadedMigrationProvider {
  diff(id: string, olds: object, news: object): Promise<{ changes: boolean; replaces: string[] }>;
  create(inputs: object): Promise<{ id: string; outs: object }>;
}

/** Loads a SqlMigration's serialized provider (`__provider`) as the dynamic provider host does: requireFromString. */
export function loadMigrationProvider(code: string): LoadedMigrationProvider {
  const mod = new Module("provider.js") as Module & { _compile(code: string, file: string): void };
  // The provider host resolves the code's require("pg") from the project's node_modules.
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  mod._compile(code, "provider.js");
  return (mod.exports as { handler: () => LoadedMigrationProvider }).handler();
}
