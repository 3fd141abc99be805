/**
 * `aws-secretsmanager:<secret name>#<json key>`: a pointer that the outbound Worker resolves
 * server-side. Stack files hold only these, never a value.
 */
export const SECRET_REFERENCE = /^aws-secretsmanager:([A-Za-z0-9/_+=.@-]{1,512})#([A-Za-z0-9_.-]{1,128})$/;

export interface SecretReference {
  readonly secretName: string;
  readonly key: string;
}

export function parseSecretReference(ref: string): SecretReference | undefined {
  const match = SECRET_REFERENCE.exec(ref);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { secretName: match[1], key: match[2] };
}

/**
 * Whether `ref` names a secret strictly below `prefix` (`<org>/<environment>/`), with no empty,
 * `.` or `..` segment after it: how a stack file is kept from binding another org's or another
 * environment's secret.
 */
export function referenceIsBelow(ref: string, prefix: string): boolean {
  const secretName = parseSecretReference(ref)?.secretName ?? "";
  const rest = secretName.slice(prefix.length).split("/");
  return secretName.startsWith(prefix) && rest.every((segment) => segment !== "" && segment !== "." && segment !== "..");
}
