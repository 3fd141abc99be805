/*
 * Provider references as the Pulumi engine writes and reads them (sdk/go/common/resource/plugin
 * providers: ParseReference, ProviderRequest.DefaultName). Pure, so the harness and its tests
 * agree with the engine on one spelling.
 */

/** `aws:kms/key:Key` -> `aws`; `pulumi-nodejs:dynamic:Resource` -> `pulumi-nodejs`. */
export function packageOf(type: string): string {
  return type.slice(0, type.indexOf(":"));
}

/** A provider reference: the provider's URN and its id, joined by `::`. */
export function providerReference(urn: string, id: string): string {
  return `${urn}::${id}`;
}

/** The URN of a reference; ids never contain `::`, so the last separator splits it. */
export function providerUrnOf(reference: string): string {
  const at = reference.lastIndexOf("::");
  if (at < 0) throw new Error(`internal: ${JSON.stringify(reference)} is not a provider reference`);
  return reference.slice(0, at);
}

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

/**
 * The engine's name for a package's default provider: `default` without a version, else
 * `default_<major>_<minor>_<patch>` followed by each pre-release and build part.
 */
export function defaultProviderName(version: string): string {
  const match = SEMVER.exec(version);
  if (match === null) return "default";
  const [, major, minor, patch, pre, build] = match;
  const parts = [major, minor, patch].map((n) => String(Number(n)));
  for (const extra of [pre, build]) if (extra !== undefined) parts.push(...extra.split("."));
  return ["default", ...parts].join("_");
}

