import { UnknownValueError, unknownCheckingProxy, type PolicyProviderResource, type PolicyResource, type ReportViolation, type ResourceValidation, type ResourceValidationArgs, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { TENANTRY_POLICIES } from "../policies/all";
import { providerUrnOf } from "./provider-reference";
import { unwrapSecrets, type RegisteredResource } from "./recording-monitor";

/*
 * The policy pack's rules, run in-process over what the program registered, the way the
 * Pulumi engine's analyzer hands resources to them: secrets unwrapped, unknown values guarded
 * by the pack's own proxy, resource options limited to what the analyzer protocol carries, and
 * each custom resource's provider (explicit or the engine's default) with that provider's inputs.
 */

export interface Violation {
  readonly policy: string;
  /** The policy's one-sentence description, printed under its name as `pulumi preview` does. */
  readonly description: string;
  readonly urn: string | undefined;
  readonly message: string;
  readonly enforcementLevel: string;
}

type Policy = ResourceValidationPolicy | StackValidationPolicy;

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

function isTypeOf(type: string) {
  return (resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType === type;
}

function toPolicyResources(resources: readonly RegisteredResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const converted = resources.map((r) => {
    const resource = {
      type: r.type,
      props: unknownCheckingProxy(unwrapSecrets(r.inputs) as Record<string, unknown>),
      urn: r.urn,
      name: r.name,
      opts: { protect: r.protect, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
      dependencies: [] as PolicyResource[],
      propertyDependencies: {},
      isType: isTypeOf(r.type),
      asType: (cls: unknown) => (isTypeOf(r.type)(cls) ? unwrapSecrets(r.inputs) : undefined),
    } as unknown as PolicyResource;
    byUrn.set(r.urn, resource);
    return resource;
  });
  const registeredByUrn = new Map(resources.map((r) => [r.urn, r]));
  // One provider object per provider URN, shared by the resources it manages (a stack has a
  // handful of providers and a hundred resources).
  const providers = new Map<string, PolicyProviderResource | undefined>();
  const providerFor = (urn: string) => {
    if (!providers.has(urn)) {
      const registered = registeredByUrn.get(urn);
      providers.set(urn, registered === undefined ? undefined : asPolicyProvider(registered));
    }
    return providers.get(urn);
  };
  resources.forEach((r, i) => {
    const resource = converted[i] as { dependencies: PolicyResource[]; parent?: PolicyResource; provider?: PolicyProviderResource };
    resource.dependencies = r.dependsOn.flatMap((urn) => byUrn.get(urn) ?? []);
    const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
    if (parent !== undefined) resource.parent = parent;
    const provider = r.provider === undefined ? undefined : providerFor(providerUrnOf(r.provider));
    if (provider !== undefined) resource.provider = provider;
  });
  return converted;
}

/**
 * As the engine's analyzer hands a resource's provider to a pack (AnalyzerProviderResource):
 * its type, URN, name and inputs, secrets unwrapped, unknowns guarded like any props.
 */
function asPolicyProvider(provider: RegisteredResource): PolicyProviderResource {
  return {
    type: provider.type,
    urn: provider.urn,
    name: provider.name,
    props: unknownCheckingProxy(unwrapSecrets(provider.inputs) as Record<string, unknown>),
  };
}

export async function runPolicies(resources: readonly RegisteredResource[], policies: readonly Policy[] = TENANTRY_POLICIES): Promise<Violation[]> {
  const policyResources = toPolicyResources(resources);
  // One args object per resource, shared by every policy (it is read-only to them).
  const stackTags = new Map<string, string>();
  const getConfig = <T>() => ({}) as T;
  const resourceArgs = policyResources.map((resource) => ({ ...resource, stackTags, getConfig, notApplicable }) as unknown as ResourceValidationArgs);
  const violations: Violation[] = [];
  for (const policy of policies) {
    const enforcementLevel = policy.enforcementLevel ?? "advisory";
    const report = (urn: string | undefined): ReportViolation => (message, reported) =>
      violations.push({ policy: policy.name, description: policy.description, urn: reported ?? urn, message, enforcementLevel });
    try {
      if ("validateStack" in policy && policy.validateStack !== undefined) {
        await policy.validateStack({ resources: policyResources, stackTags, getConfig, notApplicable }, report(undefined));
        continue;
      }
      const validations = ([] as ResourceValidation[]).concat((policy as ResourceValidationPolicy).validateResource ?? []);
      for (const [i, resource] of policyResources.entries()) {
        const args = resourceArgs[i] as ResourceValidationArgs;
        const reportHere = report(resource.urn);
        for (const validate of validations) {
          // validateResourceOfType marks the function it returns with the one type it judges, for
          // this filtering (@pulumi/policy policy.js); for any other type it would only call
          // notApplicable. Throwing that, some 2,400 times per stack, was a tenth of `check --all`.
          const judges = (validate as { __pulumiType?: unknown }).__pulumiType;
          if (typeof judges === "string" && judges !== resource.type) continue;
          try {
            // Most rules are synchronous: await only what returns a promise.
            const pending = validate(args, reportHere);
            if (pending instanceof Promise) await pending;
          } catch (error) {
            if (error instanceof UnknownValueError) {
              violations.push(skippedInPreview(policy, resource.urn, error));
            } else if (!(error instanceof NotApplicable)) {
              throw error;
            }
          }
        }
      }
    } catch (error) {
      if (error instanceof UnknownValueError) violations.push(skippedInPreview(policy, undefined, error));
      else if (!(error instanceof NotApplicable)) throw error;
    }
  }
  return violations;
}

/** As the analyzer does: a rule that reads a value unknown during preview is skipped, with an advisory. */
function skippedInPreview({ name, description }: Policy, urn: string | undefined, error: unknown): Violation {
  return { policy: name, description, urn, message: `can't run policy '${name}' during preview: ${(error as Error).message}`, enforcementLevel: "advisory" };
}
