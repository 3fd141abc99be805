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
      ...(r.ignoreChanges === undefined ? {} : { ignoreChanges: r.ignoreChanges }),
      ...(r.deleteBeforeReplace === true ? { deleteBeforeReplace: true } : {}),
    };
  });
}

/** What the engine knows of a type's provider: see Translation (local/provider-sql). */
export interface TypeBehaviour {
  /** Inputs whose change makes the provider replace the object (ForceNew) rather than alter it. */
  readonly replacesOn: readonly string[];
  /** The schema's defaults, which the provider fills in before it compares. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** A replacement creates the new object before deleting the old (Pulumi's default), unless `deleteBeforeReplace`. */
  readonly createsFirst?: boolean;
}

/**
 * What the next diff compares the desired inputs with: the recorded inputs, overlaid with what
 * the provider read back after applying them (`outputs.read`), as Pulumi diffs against the state
 * the provider returned, not the inputs it was given. Inputs under `ignoreChanges` keep the
 * state's value. Undefined when nothing was read back: the recorded hash compares as it is.
 */
function comparedAsPulumiDoes(next: DesiredResource, previous: AppliedResource, behaviour: TypeBehaviour): { state: string; desired: string; forcing: string[] } | undefined {
  const read = previous.outputs?.["read"];
  if (typeof read !== "object" || read === null) return undefined;
  const state: Record<string, unknown> = { ...behaviour.defaults, ...previous.inputs, ...(read as Record<string, unknown>) };
  const desired: Record<string, unknown> = { ...behaviour.defaults, ...next.inputs };
  for (const key of next.ignoreChanges ?? []) desired[key] = state[key];
  const forcing = behaviour.replacesOn.filter((key) => hashInputs(state[key]) !== hashInputs(desired[key]));
  return { state: hashInputs(state), desired: hashInputs(desired), forcing };
}

/**
 * @param behaviourOf per type, what its provider does on a diff (TypeBehaviour).
 */
export function planChanges(
  desired: readonly DesiredResource[],
  applied: readonly AppliedResource[],
  behaviourOf: (type: string) => TypeBehaviour,
): Change[] {
  const appliedByUrn = new Map(applied.map((r) => [r.urn, r]));
  const desiredUrns = new Set(desired.map((r) => r.urn));
  const refusals: string[] = [];
  const forward: Change[] = [];
  const replaced: AppliedResource[] = [];
  const replacedLast: AppliedResource[] = [];

  for (const next of dependencyOrder(desired)) {
    const previous = appliedByUrn.get(next.urn);
    const behaviour = behaviourOf(next.type);
    const compared = previous === undefined ? undefined : comparedAsPulumiDoes(next, previous, behaviour);
    if (previous === undefined) {
      forward.push({ kind: "create", desired: next });
    } else if (compared !== undefined ? compared.state !== compared.desired || previous.inputsHash !== next.inputsHash : previous.inputsHash !== next.inputsHash) {
      const forcing = compared?.forcing ?? behaviour.replacesOn.filter((key) => hashInputs(previous.inputs[key]) !== hashInputs(next.inputs[key]));
      if (forcing.length === 0) {
        forward.push({ kind: "update", desired: next, previous });
      } else if (previous.protect || previous.retainOnDelete || next.type === TYPE.database) {
        const why = next.type === TYPE.database ? "the provider drops a replaced database WITH (FORCE)" : "it is protected or retained, so it is never deleted";
        refusals.push(`${next.name}: changing ${forcing.join(", ")} would replace it, and ${why}; refusing`);
      } else {
        (behaviour.createsFirst === true && next.deleteBeforeReplace !== true ? replacedLast : replaced).push(previous);
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

  // Fixed names mean a replacement must delete before it creates: those deletes come first. A
  // type whose objects have no name to collide is replaced as Pulumi does by default: the new
  // one is created, and the old one deleted at the end.
  const deleteOf = (previous: AppliedResource): Change =>
    previous.retainOnDelete ? { kind: "retain", previous } : { kind: "delete", previous };
  return [...replaced.map(deleteOf), ...forward, ...replacedLast.map(deleteOf), ...[...removed].reverse().map(deleteOf)];
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
