import { isProviderType, providerType } from "../../components/provider-plan";
import { providerUrnOf } from "../../harness/provider-reference";
import { unwrapSecrets, type RegisteredResource } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { objectInput } from "../../policies/org-providers";

/** Every provider resource of `pkg` (explicit or the engine's default). */
export const providersOfPackage = (run: Pick<ProgramRun, "resources">, pkg: string) =>
  run.resources.filter((r) => r.type === providerType(pkg));

/** The provider resource a resource's reference points at; throws when it points at nothing registered. */
export function providerOf(run: Pick<ProgramRun, "resources">, resource: RegisteredResource): RegisteredResource {
  if (resource.provider === undefined) throw new Error(`${resource.name} carries no provider reference`);
  const urn = providerUrnOf(resource.provider);
  const provider = run.resources.find((r) => r.urn === urn);
  if (provider === undefined || !isProviderType(provider.type)) throw new Error(`${resource.name} references ${urn}, which no registered provider has`);
  return provider;
}

/** A provider's inputs as the pack reads them: secrets unwrapped, object inputs parsed from the SDK's JSON text (objectInput). */
export function providerSettings(provider: RegisteredResource): Record<string, unknown> {
  const inputs = unwrapSecrets(provider.inputs) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(inputs).map(([key, value]) => [key, objectInput(value) ?? value]));
}
