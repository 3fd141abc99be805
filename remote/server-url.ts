import { isIP } from "node:net";
import { SpecError } from "../spec/spec-errors";

/*
 * `--server-url postgres://<login>@<host>:<port>/<database>[?sslmode=...]`: the server an
 * after-deploy proof reads (remote/prove-server.ts). The password comes from PGPASSWORD, as the
 * Postgres provider and libpq take it, or from the URL; it is never part of a message: every
 * message shows the URL without it. Pure: no I/O.
 */

export const SERVER_URL_OPTION = "--server-url";

/** The sslmodes a URL may ask for: no TLS (loopback only), and the three the stack's provider may use. */
export const URL_SSLMODES = ["disable", "require", "verify-ca", "verify-full"] as const;
export type UrlSslmode = (typeof URL_SSLMODES)[number];

export interface ServerUrl {
  readonly host: string;
  readonly port: number;
  readonly login: string;
  readonly password: string;
  /** The database named in the path; absent when the URL names none (the stack's provider database is used). */
  readonly database?: string;
  /** `?sslmode=` when given. */
  readonly sslmode?: UrlSslmode;
  /** Where the password came from: a URL's password is visible in the process list and shell history. */
  readonly passwordFrom: "url" | "PGPASSWORD";
}

const SHAPE = "postgres://<login>@<host>:<port>/<database>";

function refuse(message: string): never {
  throw new SpecError([{ field: SERVER_URL_OPTION, message: `${SERVER_URL_OPTION} ${message}` }]);
}

function decoded(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return refuse(`has a badly escaped ${what}`);
  }
}

const isUrlSslmode = (value: string): value is UrlSslmode => (URL_SSLMODES as readonly string[]).includes(value);

export function parseServerUrl(text: string, env: { readonly PGPASSWORD?: string | undefined }): ServerUrl {
  let url: URL;
  try {
    // `host:5432` parses as a URL of scheme `host:`; without `//` it is not the URL meant.
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) throw new TypeError("no scheme");
    url = new URL(text);
  } catch {
    return refuse(`must be a URL: ${SHAPE}`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") refuse(`must start with postgres:// or postgresql:// (got ${url.protocol})`);
  if (url.username === "") refuse(`must name the login: ${SHAPE}`);
  // Brackets only delimit an IPv6 address in a URL; the address itself has none.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (url.hash !== "") refuse("must not have a #fragment");
  const port = url.port === "" ? 5432 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) refuse("must have a port 1..65535");
  const path = decoded(url.pathname.replace(/^\//, ""), "database name");
  if (path.includes("/")) refuse(`must name one database after the host: ${SHAPE}`);

  let sslmode: UrlSslmode | undefined;
  for (const [key, value] of url.searchParams) {
    if (key !== "sslmode") refuse(`takes no parameter but sslmode (got ${key})`);
    if (!isUrlSslmode(value)) refuse(`sslmode must be one of ${URL_SSLMODES.join(", ")}`);
    sslmode = value;
  }
  const login = decoded(url.username, "login");
  const fromUrl = url.password === "" ? undefined : decoded(url.password, "password");
  const password = fromUrl ?? env.PGPASSWORD;
  if (password === undefined || password === "") refuse(`gives no password for ${login}: set PGPASSWORD (or put it in the URL)`);
  return {
    host, port, login, password, passwordFrom: fromUrl === undefined ? "PGPASSWORD" : "url",
    ...(path === "" ? {} : { database: path }), ...(sslmode === undefined ? {} : { sslmode }),
  };
}

/** The URL as messages show it: never a password. */
export function shownUrl(url: Pick<ServerUrl, "host" | "port" | "login">, database: string): string {
  const host = isIP(url.host) === 6 ? `[${url.host}]` : url.host;
  return `postgres://${encodeURIComponent(url.login)}@${host}:${url.port}/${encodeURIComponent(database)}`;
}

/**
 * Traffic to a loopback address never leaves the machine (a server on it, or an SSH tunnel whose
 * far end is the real server). Only names that cannot mean anything else count: `localhost`,
 * 127.0.0.0/8 and ::1. Anything else, an IPv4-mapped address included, is treated as remote.
 */
export function isLoopback(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  if (isIP(host) === 4) return host.split(".")[0] === "127";
  return isIP(host) === 6 && /^(0{0,4}:){2,7}0{0,3}1$/.test(host);
}
