import { isDeepStrictEqual } from "node:util";
import { isMap, parseDocument, stringify } from "yaml";
import { auditOwnerName } from "../components/audit-plan";
import { planAllLoginRoles } from "../components/database-plan";
import { databaseName, edgeName } from "../spec/naming";
import type { ProviderSettings } from "../spec/provider-settings";
import type { Offboarding, OrgSpec } from "../spec/spec";
import { SpecError } from "../spec/spec-errors";

/*
 * What `tenantry offboard` writes and prints: the stack file with the offboarding marker added
 * (every comment and every other line kept), and the steps that follow. Pure: the command reads,
 * checks and writes.
 */

/** Where a stack file keeps the org: `tenantry:org`, or `org` (Pulumi puts it in the project's namespace). */
const ORG_KEYS = ["tenantry:org", "org"] as const;

/**
 * The stack file's text with `offboarding: <marker>` added as the org's last field. The marker is
 * spliced into the text, so every other line stays as it was (a re-rendered file would restyle
 * flow collections); the result is parsed again and must equal the original plus the marker.
 */
export function markForOffboarding(text: string, marker: Offboarding): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new SpecError([{ field: "stack", message: "the stack file is not valid YAML" }]);
  const key = ORG_KEYS.find((k) => doc.hasIn(["config", k]));
  const org = key === undefined ? undefined : doc.getIn(["config", key]);
  if (key === undefined || !isMap(org) || org.range === undefined || org.range === null) {
    throw new SpecError([{ field: "tenantry:org", message: "tenantry:org must be a YAML mapping in the stack file for offboard to add the marker to it" }]);
  }
  const value = { ...marker };
  const spliced = org.flow === true ? spliceIntoFlowMap(text, org.range[1], value) : spliceIntoBlockMap(text, org.items, org.range[1], value);
  const expected = doc.toJS() as { config: Record<string, Record<string, unknown>> };
  expected.config[key] = { ...expected.config[key], offboarding: value };
  if (spliced !== undefined && isDeepStrictEqual(parseDocument(spliced).toJS(), expected)) return spliced;
  // A layout the splice does not handle: re-render the whole file, which is still correct.
  org.set("offboarding", doc.createNode(value));
  return doc.toString();
}

/** `{..., "offboarding": {...}}`: before the closing brace, which ends the map's range. */
function spliceIntoFlowMap(text: string, end: number, marker: object): string | undefined {
  const close = text.lastIndexOf("}", end);
  if (close < 0) return undefined;
  return `${text.slice(0, close).trimEnd()}, "offboarding": ${JSON.stringify(marker)}${text.slice(close)}`;
}

/** A block map: after its last value, indented like its keys. */
function spliceIntoBlockMap(text: string, items: readonly { key: unknown }[], end: number, marker: object): string | undefined {
  const firstKey = items[0]?.key as { range?: readonly number[] | null } | undefined;
  const start = firstKey?.range?.[0];
  if (start === undefined) return undefined;
  const indent = start - (text.lastIndexOf("\n", start - 1) + 1);
  const lines = stringify({ offboarding: marker }, { lineWidth: 0 }).trimEnd().split("\n").map((line) => `${" ".repeat(indent)}${line}`);
  const before = text.slice(0, end).replace(/\n*$/, "");
  return `${before}\n${lines.join("\n")}\n${text.slice(end).replace(/^\n/, "")}`;
}

/** The ring whose `pulumi up` carries out a merged change for the org (.github/workflows/promote.yml). */
function ringOf(spec: OrgSpec): string {
  return spec.tier === "sandbox" ? "the test ring (1 approval)" : "the prod ring (1 more approval)";
}

/** A libpq keyword value: quoted when it is empty or holds a space, a quote or a backslash. */
const conninfoValue = (value: string) => (/^[^\s'\\]+$/.test(value) ? value : `'${value.replace(/['\\]/g, "\\$&")}'`);

/**
 * How psql and pg_dump reach the server as the provider does: libpq reads sslrootcert, sslcert
 * and sslkey as lib/pq (the provider's driver) does, so the same files verify the same server.
 */
export function conninfo(provider: ProviderSettings, database: string): string {
  const settings: [string, string | number | undefined][] = [
    ["host", provider.host], ["port", provider.port], ["dbname", database], ["user", provider.adminRole], ["sslmode", provider.sslmode],
    ["sslrootcert", provider.sslrootcert], ["sslcert", provider.clientcert?.cert], ["sslkey", provider.clientcert?.key],
  ];
  return settings.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${conninfoValue(String(value))}`).join(" ");
}

/** The steps after the marker is written, with the org's own names, commands and file. */
export function offboardSteps(spec: OrgSpec, provider: ProviderSettings, file: string): string[] {
  const { slug } = spec;
  const database = databaseName(slug);
  const auditOwner = auditOwnerName(spec);
  const logins = planAllLoginRoles(spec).map((role) => role.name);
  const connection = conninfo(provider, database);
  const marker = spec.offboarding;
  const who = marker === undefined ? "" : ` (requested by ${marker.requestedBy}${marker.ticket === undefined ? "" : `, ticket ${marker.ticket}`})`;
  return [
    `marked org ${slug} for offboarding in ${file}${who}`,
    "",
    "1. Open the pull request that marks it; it is reviewed like any change to the org:",
    `     git checkout -b offboard-${slug}`,
    `     git add ${file} && git commit -m "Mark org ${slug} for offboarding"`,
    `     git push -u origin offboard-${slug}`,
    `2. Once merged, promotion runs pulumi up for org-${slug} in ${ringOf(spec)}. It:`,
    ...(spec.edge === undefined ? [] : [
      `     - removes the edge: dispatch namespace ${edgeName(slug)} and its apps, the router, the outbound Worker, and the IAM user that reads the org's secrets`,
    ]),
    `     - turns LOGIN off for ${logins.join(", ")}: nothing can connect or write any more (open sessions end when they close)`,
    `     - lifts protect from database ${database} and retains it, with every role, schema, grant and the audit ledger (retainOnDelete): nothing is dropped, now or later`,
    ...(spec.edge === undefined ? [] : [
      `     - keeps the KMS key and the Secrets Manager secrets under ${slug}/ until the destroy`,
    ]),
    "3. Take the final dump, now that nothing can write, as a login that may read every schema (for example",
    `   ${provider.adminRole}, a member of the database's owner, with GRANT pg_read_all_data TO ${provider.adminRole} for the dump)`,
    `   and every event of the audit ledger (its row-level security does not filter its owner ${auditOwner}, nor a member of it):`,
    `     psql "${connection}" -c "GRANT ${auditOwner} TO CURRENT_USER"`,
    `     pg_dump "${connection}" --format=custom --file=${database}-final.dump`,
    `     psql "${connection}" -c "REVOKE ${auditOwner} FROM CURRENT_USER"`,
    `     pg_restore --list ${database}-final.dump > /dev/null && echo "${database}-final.dump is readable"`,
    `4. Destroy the stack: Pulumi forgets the database and everything in it, which stay on the server${spec.edge === undefined ? "" : ", and deletes the secrets and the KMS key with a 30-day recovery window"}:`,
    `     pulumi destroy --stack org-${slug}`,
    `     pulumi stack rm org-${slug}`,
    "5. Open the pull request that deletes the stack file; its preview allows it because step 1 was merged first:",
    `     git checkout -b remove-${slug} origin/main`,
    `     git rm ${file} && git commit -m "Remove org ${slug} (offboarded)"`,
    `     git push -u origin remove-${slug}`,
  ];
}
