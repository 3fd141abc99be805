/** The SQLSTATEs the local engine and its proof tell apart (Postgres appendix A). */
export const SQLSTATE = {
  insufficientPrivilege: "42501",
  queryCanceled: "57014",
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
