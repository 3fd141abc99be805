/** The SQLSTATEs the local engine and its proof tell apart (Postgres appendix A). */
export const SQLSTATE = {
  insufficientPrivilege: "42501",
  queryCanceled: "57014",
  /** admin_shutdown: the session was ended by pg_terminate_backend (the guardrail enforcer). */
  adminShutdown: "57P01",
  /** configuration_limit_exceeded: e.g. temporary files past temp_file_limit. */
  configurationLimitExceeded: "53400",
  tooManyConnections: "53300",
  /** invalid_authorization_specification: a NOLOGIN role's connection attempt. */
  cannotLogIn: "28000",
  /** invalid_password: the server does not take this password. */
  invalidPassword: "28P01",
  /** invalid_catalog_name: the database does not exist. */
  noSuchDatabase: "3D000",
  /** undefined_object: e.g. the role does not exist. */
  undefinedObject: "42704",
} as const;
