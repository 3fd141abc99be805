import { readKnown, UNKNOWN } from "./unknowns";

/*
 * Wildcards in an IAM identity policy document. Pure: the pack's AWS rule and its tests share it.
 * Only identity policies are read: a KMS key policy's or a secret's resource policy's "*"
 * resource means "this key/secret", so those are not wildcards in this sense.
 */

/** A field as a list, read element by element so one unknown element skips only itself. */
function asList(value: unknown): unknown[] {
  if (value === UNKNOWN || value === undefined) return [];
  if (!Array.isArray(value)) return [value];
  return Array.from({ length: value.length }, (_, i) => readKnown(value, i)).filter((v) => v !== UNKNOWN);
}

/** `*` and `?` are IAM wildcards in actions: least privilege names every action it allows. */
const wildcardAction = (action: string) => /[*?]/.test(action);

/**
 * A resource is too broad when its ARN resource part has a `*` anywhere (`secret:*`,
 * `secret:tn-*`, which reaches every tenant, `secret:*\/*`) or a `?` other than Secrets
 * Manager's six-character suffix (`secret:tn-acme/prod/db-??????`).
 */
function wildcardResource(resource: string): boolean {
  if (resource.includes("*")) return true;
  return resource.replace(/-\?{6}$/, "").includes("?");
}

/** What is too broad in an Allow statement, each as a phrase for a violation message; "unknown" parts are skipped. */
export function iamWildcards(document: unknown): string[] {
  const parsed = typeof document === "string" ? (JSON.parse(document) as unknown) : document;
  return asList(readKnown(parsed, "Statement")).flatMap((entry, index) => {
    if (readKnown(entry, "Effect") !== "Allow") return [];
    const at = `statement ${index + 1}`;
    const read = (key: string) => asList(readKnown(entry, key)).filter((v): v is string => typeof v === "string");
    return [
      ...read("Action").filter(wildcardAction).map((a) => `${at} allows action ${a}`),
      ...(readKnown(entry, "NotAction") === undefined ? [] : [`${at} allows NotAction (everything but a list)`]),
      ...read("Resource").filter(wildcardResource).map((r) => `${at} allows resource ${r}`),
      ...(readKnown(entry, "NotResource") === undefined ? [] : [`${at} allows NotResource (everything but a list)`]),
    ];
  });
}

/** AWS-managed policies (`arn:aws:iam::aws:policy/...`) are written for everyone, never least privilege for one org. */
export const isAwsManagedPolicy = (arn: string) => /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);
