import { readJsonIfExists } from "../local/private-file";
import type { LocalPaths } from "../local/paths";
import { looksLikeCredentialName } from "../policies/credential-patterns";

/*
 * Every secret value `tenantry report` could come across, for report/redact.ts to keep off the
 * page: the local state's passwords (generated ones and each role's), the embedded server's
 * superuser password, the provider logins' passwords, and the values of environment variables
 * named like credentials (PGPASSWORD, AWS_SECRET_ACCESS_KEY, STRIPE_API_KEY, ...).
 */

/** String values under keys named like credentials (`password`, `apiKey`), and random passwords' `result`, at any depth. */
function credentialLeaves(json: unknown, key = ""): string[] {
  if (typeof json === "string") return looksLikeCredentialName(key) || key === "result" ? [json] : [];
  if (Array.isArray(json)) return json.flatMap((item) => credentialLeaves(item, key));
  if (typeof json === "object" && json !== null) return Object.entries(json).flatMap(([k, v]) => credentialLeaves(v, k));
  return [];
}

export function knownSecretValues(paths: Pick<LocalPaths, "stateFile" | "serverFile" | "providerAdminsFile">, env: NodeJS.ProcessEnv = process.env): string[] {
  const admins = readJsonIfExists<Record<string, unknown>>(paths.providerAdminsFile) ?? {};
  return [
    ...credentialLeaves(readJsonIfExists<unknown>(paths.stateFile)),
    ...credentialLeaves(readJsonIfExists<unknown>(paths.serverFile)),
    // { <login>: <password> }: every value is a password.
    ...Object.values(admins).filter((v): v is string => typeof v === "string"),
    ...Object.entries(env).flatMap(([name, value]) => (value !== undefined && looksLikeCredentialName(name) ? [value] : [])),
  ];
}
