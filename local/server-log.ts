/*
 * What the embedded server writes to its log about statements. The local engine's statements
 * carry generated passwords (CREATE and ALTER ROLE), so no statement text may reach
 * .tenantry/postgres.log: not the failing statement Postgres logs after its error by default
 * (log_min_error_statement), not the DETAIL, QUERY and CONTEXT lines (a statement run from
 * PL/pgSQL is the error's CONTEXT), and no statement or duration logging. Given on the server's
 * command line, they override any configuration file, and only a superuser can change them for
 * a session.
 */

/** Each setting with its safe value, as pg_settings spells it. */
export const LOG_SETTINGS: Readonly<Record<string, string>> = {
  log_min_error_statement: "panic",
  log_error_verbosity: "terse",
  log_statement: "none",
  log_min_duration_statement: "-1",
  log_min_duration_sample: "-1",
  log_transaction_sample_rate: "0",
  log_parameter_max_length: "0",
  log_parameter_max_length_on_error: "0",
};

/** The names of LOG_SETTINGS a running server has otherwise. */
export function unsafeLogSettings(current: Readonly<Record<string, string>>): string[] {
  return Object.entries(LOG_SETTINGS).filter(([name, value]) => current[name] !== value).map(([name]) => name);
}

/** The settings as server options (`-c name=value ...`). */
export function logSettingOptions(): string {
  return Object.entries(LOG_SETTINGS).map(([name, value]) => `-c ${name}=${value}`).join(" ");
}
