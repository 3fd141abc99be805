import type { SpecProblem } from "./spec-errors";

/*
 * The `postgresql:*` provider settings of a stack, checked as strictly as the org spec: a
 * stack file must not be able to weaken the connection every password travels over, nor run
 * the provider as a superuser.
 */

export interface ProviderSettings {
  /** The provider's login (`postgresql:username`); it is made a member of each org's owner role. */
  readonly adminRole: string;
}

const TLS_MODES = ["require", "verify-ca", "verify-full"];

export function checkProviderSettings(values: Readonly<Record<string, string>>): { settings?: ProviderSettings; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const problem = (field: string, rule: string) => problems.push({ field, message: `${field} ${rule}` });

  const sslmode = values["postgresql:sslmode"];
  if (sslmode === undefined || !TLS_MODES.includes(sslmode)) {
    problem("postgresql:sslmode", `must be one of ${TLS_MODES.join(", ")}: role passwords are sent over this connection`);
  }
  if (values["postgresql:superuser"] !== "false") {
    problem("postgresql:superuser", 'must be "false": tenantry deploys with a non-superuser account (on RDS, grant rds_superuser by membership)');
  }
  const adminRole = values["postgresql:username"];
  if (adminRole === undefined || !/^[a-z_][a-z0-9_]{0,62}$/.test(adminRole) || adminRole.startsWith("tn_")) {
    problem("postgresql:username", "must be the provider's login role: 1..63 of a-z, 0-9 and _, and not a tn_ tenant role");
  }
  return problems.length === 0 && adminRole !== undefined ? { settings: { adminRole }, problems } : { problems };
}
