import { unwrapSecrets, type RegisteredResource } from "../harness/recording-monitor";
import { offOrgPostgresProvider } from "./org-provider";
import { isAppliedLocally, TYPE } from "./provider-sql";
import { hashInputs, type AppliedResource } from "./state";

/*
 * The difference between what the program registered and what the local state says was
 * applied, as Pulumi's engine would compute it: creates and updates in dependency order, then
 * deletes in reverse. Pure; the applier executes it. Everything that would destroy data is
 * refused here, before a single statement runs.
 */

export type DesiredResource = Omit<AppliedResource, "outputs">;

export type Change =
  | { readonly kind: "create"; readonly desired: DesiredResource }
  | { readonly kind: "update"; readonly desired: DesiredResource; readonly previous: AppliedResource }
  /** Only `protect`/`retainOnDelete` changed: no statement, the state is rewritten. */
  | { readonly kind: "options"; readonly desired: DesiredResource; readonly previous: AppliedResource }
  | { readonly kind: "delete"; readonly previous: AppliedResource }
  /** `retainOnDelete`: dropped from the state, never from the server. */
  | { readonly kind: "retain"; readonly previous: AppliedResource };

/** Refused before anything is applied, as `pulumi up` refuses to delete a protected resource. */
export class RefusedChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedChangeError";
  }
}

export function desiredResources(registered: readonly RegisteredResource[]): DesiredResource[] {
  const foreign = offOrgPostgresProvider(registered);
  if (foreign.length > 0) {
    throw new RefusedChangeError(`${foreign.map((r) => r.name).join(", ")}: not on the org's own Postgres provider, whose server is the one the local apply stands in for; refusing`);
  }
  return registered.filter((r) => isAppliedLocally(r.type)).map((r) => {
    // A dynamic resource's serialized provider is code, not configuration: it must not make a diff.
    const { __provider: _code, ...rest } = unwrapSecrets(r.inputs) as Record<string, unknown>;
    const inputs = rest;
    return {
      urn: r.urn, type: r.type, name: r.name, inputs, inputsHash: hashInputs(inputs),
      protect: r.protect, retainOnDelete: r.retainOnDelete, dependsOn: r.dependsOn,
    };
  });
}

/**
 * @param replacesOn per type, the inputs whose change makes the provider replace the object
 *   (ForceNew) rather than alter it.
 */
export function planChanges(
  desired: readonly DesiredResource[],
  applied: readonly AppliedResource[],
  replacesOn: (type: string) => readonly string[],
): Change[] {
  const appliedByUrn = new Map(applied.map((r) => [r.urn, r]));
  const desiredUrns = new Set(desired.map((r) => r.urn));
  const refusals: string[] = [];
  const forward: Change[] = [];
  const replaced: AppliedResource[] = [];

  for (const next of dependencyOrder(desired)) {
    const previous = appliedByUrn.get(next.urn);
    if (previous === undefined) {
      forward.push({ kind: "create", desired: next });
    } else if (previous.inputsHash !== next.inputsHash) {
      const forcing = replacesOn(next.type).filter((key) => hashInputs(previous.inputs[key]) !== hashInputs(next.inputs[key]));
      if (forcing.length === 0) {
        forward.push({ kind: "update", desired: next, previous });
      } else if (previous.protect || previous.retainOnDelete || next.type === TYPE.database) {
        const why = next.type === TYPE.database ? "the provider drops a replaced database WITH (FORCE)" : "it is protected or retained, so it is never deleted";
        refusals.push(`${next.name}: changing ${forcing.join(", ")} would replace it, and ${why}; refusing`);
      } else {
        replaced.push(previous);
        forward.push({ kind: "create", desired: next });
      }
    } else if (previous.protect !== next.protect || previous.retainOnDelete !== next.retainOnDelete) {
      forward.push({ kind: "options", desired: next, previous });
    }
  }

  const removed = applied.filter((r) => !desiredUrns.has(r.urn));
  for (const previous of removed.filter((r) => r.protect)) {
    refusals.push(`${previous.name}: it is protected and the stack no longer declares it; a protected resource is never deleted (unprotect it first)`);
  }
  if (refusals.length > 0) throw new RefusedChangeError(refusals.join("\n"));

  // Fixed names mean a replacement must delete before it creates: those deletes come first.
  const deleteOf = (previous: AppliedResource): Change =>
    previous.retainOnDelete ? { kind: "retain", previous } : { kind: "delete", previous };
  return [...replaced.map(deleteOf), ...forward, ...[...removed].reverse().map(deleteOf)];
}

/** Registration order is already topological in Pulumi; this makes it so for any input, stably. */
function dependencyOrder(resources: readonly DesiredResource[]): DesiredResource[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const placed = new Set<string>();
  const ordered: DesiredResource[] = [];
  const visit = (resource: DesiredResource, path: Set<string>) => {
    if (placed.has(resource.urn)) return;
    if (path.has(resource.urn)) throw new Error(`internal: dependency cycle through ${resource.name}`);
    path.add(resource.urn);
    for (const urn of resource.dependsOn) {
      const dependency = byUrn.get(urn);
      if (dependency !== undefined) visit(dependency, path);
    }
    placed.add(resource.urn);
    ordered.push(resource);
  };
  for (const resource of resources) visit(resource, new Set());
  return ordered;
}
