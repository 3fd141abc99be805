import type { ConnectionOptions } from "node:tls";
import { sslOptionsOf } from "../components/sql-migration";
import type { ProviderSettings, ProviderTls } from "../spec/provider-settings";
import { SpecError } from "../spec/spec-errors";
import { SERVER_URL_OPTION, URL_SSLMODES, type UrlSslmode } from "./server-url";

/*
 * How an after-deploy proof reaches the server: with the TLS the stack's provider uses
 * (`postgresql:sslmode`), never weaker. A URL may ask for stricter TLS, and for none only when
 * the host is a loopback address (an embedded server, or an SSH tunnel's near end), where the
 * traffic never leaves the machine. Pure: no I/O.
 */

/** Weakest first: a mode later in the list verifies at least what every earlier one does. */
const STRENGTH: readonly UrlSslmode[] = URL_SSLMODES;

/**
 * The sslmode to connect with. For a host that is not loopback: the stack's, or the URL's if it
 * is stricter; a weaker one is refused, not silently raised, so the user sees what they asked
 * for is not what a deploy uses. For a loopback host: the URL's, or none.
 */
export function connectionSslmode(stack: ProviderSettings["sslmode"], asked: UrlSslmode | undefined, host: string, loopback: boolean): UrlSslmode {
  if (loopback) return asked ?? "disable";
  if (asked === undefined) return stack;
  if (asked === "disable") {
    throw new SpecError([{ field: SERVER_URL_OPTION, message: `${SERVER_URL_OPTION} asks for sslmode=disable, but ${host} is not a loopback address: TLS is required (the stack's postgresql:sslmode is ${stack})` }]);
  }
  if (STRENGTH.indexOf(asked) < STRENGTH.indexOf(stack)) {
    throw new SpecError([{ field: SERVER_URL_OPTION, message: `${SERVER_URL_OPTION} asks for sslmode=${asked}, weaker than the stack's postgresql:sslmode ${stack}: the proof never reaches a server with less TLS than a deploy does` }]);
  }
  return asked;
}

/**
 * `pg`'s `ssl` option for a mode: exactly what a SqlMigration of the stack connects with
 * (components/sql-migration.ts sslOptionsOf, lib/pq's meaning of each mode), with the stack's
 * `postgresql:sslrootcert` and `clientcert` and the same PGSSLROOTCERT / ~/.postgresql
 * fallbacks: the proof trusts what a deploy trusts, no more. `disable` (loopback only) is no TLS.
 */
export function pgSsl(mode: UrlSslmode, trust: Omit<ProviderTls, "sslmode">): false | ConnectionOptions {
  if (mode === "disable") return false;
  return sslOptionsOf({ ...trust, sslmode: mode }) as ConnectionOptions;
}
