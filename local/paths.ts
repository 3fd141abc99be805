import { join } from "node:path";

/**
 * Where the local apply keeps its files: one git-ignored directory beside the project.
 * `pg/` is the embedded server's data directory; `server.json` and `state.json` hold the admin
 * credential and the applied state (both mode 0600: they contain generated passwords).
 */
export interface LocalPaths {
  readonly root: string;
  readonly dataDir: string;
  readonly serverFile: string;
  readonly stateFile: string;
  readonly logFile: string;
  /** Passwords of the provider logins made on the embedded server. */
  readonly providerAdminsFile: string;
  /** Held by the one command using this local state (local/lock.ts). */
  readonly lockFile: string;
  /** What a running proof has created on the server, written before it is created (local/proof-objects.ts). */
  readonly proofFile: string;
  /** The private key of the local identity provider that `tenantry dev` trusts and `tenantry token` signs with. */
  readonly identityKeyFile: string;
  /** The local operator gateway's allowlist (D1, as miniflare persists it), which `tenantry operators` manages. */
  readonly operatorAllowlistDir: string;
  /** The local org edges' API key hashes (D1, as miniflare persists it), which `tenantry keys` manages; one database per org below it. */
  readonly apiKeysDir: string;
}

/**
 * One embedded server's files below `root` (the default server's in `.tenantry/`, a cluster's in
 * `.tenantry/clusters/<name>/`): its data, its address, the state of the orgs applied to it, its
 * log, its provider logins and its proof's leftovers.
 */
export function serverFilesUnder(root: string): Pick<LocalPaths, "dataDir" | "serverFile" | "stateFile" | "logFile" | "providerAdminsFile" | "proofFile"> {
  return {
    dataDir: join(root, "pg"),
    serverFile: join(root, "server.json"),
    stateFile: join(root, "state.json"),
    logFile: join(root, "postgres.log"),
    providerAdminsFile: join(root, "provider-admins.json"),
    proofFile: join(root, "proof-objects.json"),
  };
}

export function localPaths(baseDir: string): LocalPaths {
  const root = join(baseDir, ".tenantry");
  return {
    root,
    ...serverFilesUnder(root),
    lockFile: join(root, "lock"),
    identityKeyFile: join(root, "identity-key.json"),
    operatorAllowlistDir: join(root, "operator-allowlist"),
    apiKeysDir: join(root, "api-keys"),
  };
}

/** One org's local API key database: the store `tenantry keys` writes and the local edge of `dev` reads; never another org's. */
export const localKeysDir = (projectDir: string, org: string): string => join(localPaths(projectDir).apiKeysDir, org);
