import type { ClientCertificate, TlsMode } from "./provider-settings";
import type { SpecProblem } from "./spec-errors";

/*
 * `postgresql:sslrootcert` and `postgresql:clientcert`: the files the Postgres provider, and
 * every migration alike, trust and present when they connect. Both are paths on the machine
 * that runs `pulumi up`; nothing here reads them, since `tenantry check` runs where they may
 * not be (a fork's CI). What can be decided from the stack alone is decided here, so the two
 * cases where the provider's driver (lib/pq v1.12.3, ssl.go) would check less than the stack
 * seems to ask are refused before anything is registered.
 */

/** A path as the provider passes it on: not empty, no control characters (it ends up in a connection string). */
export const PATH = /^[^\u0000-\u001f\u007f]{1,1024}$/;
/** lib/pq's special value: the machine's default roots, allowed with verify-full only. */
const SYSTEM_ROOTS = "system";
const CLIENTCERT_KEYS = ["cert", "key", "sslinline"];

export function checkTrustSettings(values: Readonly<Record<string, string>>, sslmode: TlsMode | undefined): {
  settings: { sslrootcert?: string; clientcert?: ClientCertificate };
  problems: SpecProblem[];
} {
  const problems: SpecProblem[] = [];
  const problem = (field: string, rule: string) => problems.push({ field, message: `${field} ${rule}` });
  const sslrootcert = values["postgresql:sslrootcert"];
  if (sslrootcert !== undefined) {
    if (!PATH.test(sslrootcert)) {
      problem("postgresql:sslrootcert", "must be the path of a PEM file of CA certificates on the machine that runs pulumi up (relative to the project directory), or system");
    } else if (sslrootcert === SYSTEM_ROOTS && sslmode !== undefined && sslmode !== "verify-full") {
      problem("postgresql:sslrootcert", `system needs postgresql:sslmode verify-full (got ${sslmode}): lib/pq, the provider's driver, refuses it with any other mode`);
    } else if (sslmode === "require") {
      // lib/pq checks the chain under `require` only if the file exists, and silently drops it
      // otherwise: the verify modes fail instead when the file is missing.
      problem("postgresql:sslrootcert", "needs postgresql:sslmode verify-full (or verify-ca): with require, the provider's driver (lib/pq) checks the certificate only if this file exists on the machine that runs pulumi up, and silently skips the check when it does not");
    }
  }
  const clientcert = parseClientcert(values["postgresql:clientcert"], problem);
  return {
    settings: {
      ...(sslrootcert === undefined ? {} : { sslrootcert }),
      ...(clientcert === undefined ? {} : { clientcert }),
    },
    problems,
  };
}

/** `postgresql:clientcert` as Pulumi passes an object setting: JSON text of `{ cert, key, sslinline? }`. */
function parseClientcert(raw: string | undefined, problem: (field: string, rule: string) => void): ClientCertificate | undefined {
  if (raw === undefined) return undefined;
  const field = "postgresql:clientcert";
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problem(field, "must be an object { cert, key }: the paths of the client certificate and its key (PEM) on the machine that runs pulumi up");
    return undefined;
  }
  const record = value as Record<string, unknown>;
  let valid = true;
  for (const key of Object.keys(record).filter((k) => !CLIENTCERT_KEYS.includes(k))) {
    problem(`${field}.${key}`, "is not a setting of the provider's client certificate: it takes cert, key and sslinline");
    valid = false;
  }
  for (const key of ["cert", "key"] as const) {
    const path = record[key];
    if (typeof path !== "string" || !PATH.test(path)) {
      problem(`${field}.${key}`, "must be the path of a PEM file on the machine that runs pulumi up (relative to the project directory)");
      valid = false;
    }
  }
  if (record["sslinline"] !== undefined && record["sslinline"] !== false) {
    // lib/pq's sslinline makes sslcert, sslkey and sslrootcert PEM text rather than paths.
    problem(`${field}.sslinline`, "must be false: inline, the private key would sit in the stack's config, and lib/pq would read postgresql:sslrootcert as PEM text too; keep the certificate and key in files on the machine that runs pulumi up");
    valid = false;
  }
  return valid ? { cert: record["cert"] as string, key: record["key"] as string } : undefined;
}
