/*
 * Wildcards in an IAM identity policy document. Pure: the pack's AWS rule and its tests share it.
 * Only identity policies are read: a KMS key policy's or a secret's resource policy's "*"
 * resource means "this key/secret", so those are not wildcards in this sense.
 */

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);

/** `*`, `service:*`, and also `service:Get*`: least privilege names every action it allows. */
const wildcardAction = (action: string) => action.includes("*");
/** `*`, or an ARN whose resource part is only a wildcard (`arn:aws:secretsmanager:r:a:secret:*`). */
const wildcardResource = (resource: string) => resource === "*" || /^arn:[^:]*:[^:]*:[^:]*:[^:]*:([^:/]*[:/])?\*$/.test(resource);

/** What is too broad in an Allow statement, each as a phrase for a violation message. */
export function iamWildcards(document: unknown): string[] {
  const parsed = typeof document === "string" ? (JSON.parse(document) as unknown) : document;
  const statement = (parsed as { Statement?: Statement | Statement[] } | null)?.Statement ?? [];
  const statements = Array.isArray(statement) ? statement : [statement];
  return statements.flatMap((statement, index) => {
    if (statement.Effect !== "Allow") return [];
    const at = `statement ${index + 1}`;
    return [
      ...asList(statement.Action).filter(wildcardAction).map((a) => `${at} allows action ${a}`),
      ...asList(statement.Resource).filter(wildcardResource).map((r) => `${at} allows resource ${r}`),
      ...(statement.NotAction === undefined ? [] : [`${at} allows NotAction (everything but a list)`]),
      ...(statement.NotResource === undefined ? [] : [`${at} allows NotResource (everything but a list)`]),
    ];
  });
}
