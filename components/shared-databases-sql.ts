/*
 * The databases every Postgres server has besides the orgs': `postgres` (the maintenance
 * database clients and providers connect to by default) and `template1` (the default template
 * of CREATE DATABASE). Postgres gives PUBLIC CONNECT and TEMPORARY on both, so every role of
 * every org could reach them. Pure: no Pulumi import.
 */

/** `template0` is not among them: it accepts no connections at all (datallowconn is false). */
export const SHARED_DATABASES = ["postgres", "template1"] as const;
