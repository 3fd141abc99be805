import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor, type MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { isProviderType, providerType } from "../components/provider-plan";
import { defaultProviderName, packageOf, providerReference } from "./provider-reference";

/** What the program asked the engine to register, with the options `Mocks.newResource` never sees. */
export interface RegisteredResource {
  readonly urn: string;
  /** Type token, e.g. `postgresql:index/role:Role` or `tenantry:index:OrgTenant`. */
  readonly type: string;
  readonly name: string;
  /** false for component resources. */
  readonly custom: boolean;
  /** URN of the parent; undefined for the top of the tree. */
  readonly parent: string | undefined;
  /** Inputs as the engine receives them; secrets keep Pulumi's secret envelope (see isSecretValue). */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  /** URNs this resource waits for (explicit `dependsOn` and the owners of the outputs it uses). */
  readonly dependsOn: readonly string[];
  /** Inputs whose changes the engine ignores after the create (`ignoreChanges`). */
  readonly ignoreChanges?: readonly string[];
  /** A replacement deletes the old object before it creates the new one (`deleteBeforeReplace`). */
  readonly deleteBeforeReplace?: boolean;
  /**
   * The provider reference (`<provider urn>::<provider id>`) the engine manages this resource
   * with: the program's explicit provider, or else the package's default provider, which the
   * engine registers itself. Undefined for components and for provider resources.
   */
  readonly provider?: string;
}

/** The envelope Pulumi's wire format puts around a secret value: the SDK's own constants. */
export { specialSigKey as SECRET_SIGNATURE_KEY, specialSecretSig as SECRET_SIGNATURE } from "@pulumi/pulumi/runtime/rpc";

export function isSecretValue(value: unknown): value is { readonly value: unknown } {
  return typeof value === "object" && value !== null &&
    (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** A value with every secret envelope removed, as the engine hands inputs to a policy pack. */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** The subset of the gRPC request the recorder reads (generated protobuf classes are untyped here). */
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  /** The explicit provider reference, or "" when the program left the resource to a default provider. */
  getProvider(): string;
  /** The package version the SDK asks the engine for ("" when it names none). */
  getVersion(): string;
}
type Callback = (err: unknown, response: { getUrn(): string } | undefined) => void;

/**
 * Pulumi's mock monitor, recording every registration. Resources echo their inputs as outputs;
 * a generated password gets fresh random bytes unless told otherwise, so no fixed string can
 * pass for a credential.
 * Provider function calls are not part of tenantry's program, so any call fails loudly, but
 * one: the platform stack reads an RDS cluster's managed master secret (getSecretVersion) to
 * keep the provisioning login, and gets a fresh random password, as a generated password does.
 */
export class RecordingMonitor extends MockMonitor {
  public readonly registered: RegisteredResource[] = [];

  /**
   * @param passwordFor supplies a generated password's value by resource name (the local apply
   *   passes the ones it keeps in its state); by default each is fresh random bytes.
   */
  constructor(passwordFor: PasswordSource = () => randomBytes(30).toString("base64url")) {
    super({
      newResource: (args: MockResourceArgs) => ({ id: `${args.name}-id`, state: mockState(args, passwordFor) }),
      call: (args) => {
        if (args.token === MASTER_SECRET_CALL) return mockMasterSecret(args.inputs as Record<string, unknown>);
        throw new Error(`unexpected provider call ${args.token}: the tenantry program makes none but ${MASTER_SECRET_CALL}`);
      },
    });
  }

  override async registerResource(req: RegisterResourceRequest, callback: Callback): Promise<void> {
    return super.registerResource(req, (err, response) => {
      if (err === null && response !== undefined) {
        const type = req.getType();
        const isProvider = isProviderType(type);
        const provider = req.getCustom() && !isProvider
          ? req.getProvider() || this.defaultProvider(packageOf(type), req.getVersion())
          : undefined;
        const inputs = req.getObject()?.toJavaScript() ?? {};
        // The engine records the plugin version a provider was asked for among its inputs.
        const version = isProvider && req.getVersion() !== "" ? { version: req.getVersion() } : {};
        this.registered.push({
          urn: response.getUrn(),
          type,
          name: req.getName(),
          custom: req.getCustom(),
          parent: req.getParent() || undefined,
          inputs: { ...inputs, ...version },
          protect: req.getProtect(),
          retainOnDelete: req.getRetainondelete(),
          dependsOn: req.getDependenciesList(),
          ...(req.getIgnorechangesList().length === 0 ? {} : { ignoreChanges: req.getIgnorechangesList() }),
          ...(req.getDeletebeforereplace() ? { deleteBeforeReplace: true } : {}),
          ...(provider === undefined ? {} : { provider }),
        });
      }
      callback(err, response);
    });
  }

  /**
   * What the engine does for a custom resource registered without a provider: it registers the
   * package's default provider once per version, named `default_<major>_<minor>_<patch>`, whose
   * inputs are the stack's `<package>:*` config (secrets kept secret) and the version; the
   * resource gets its reference. Under mocks the stack config is the runtime's, which
   * run-program sets from the stack file.
   */
  private defaultProvider(pkg: string, version: string): string {
    const type = providerType(pkg);
    const name = defaultProviderName(version);
    // Default providers are top-level: no parent type in their URN.
    const urn = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${type}::${name}`;
    const id = `${name}-id`;
    if (!this.registered.some((r) => r.urn === urn)) {
      this.registered.push({
        urn, type, name, custom: true,
        parent: this.registered.find((r) => r.type === "pulumi:pulumi:Stack")?.urn,
        inputs: { ...packageConfig(pkg), ...(version === "" ? {} : { version }) },
        protect: false, retainOnDelete: false, dependsOn: [],
      });
    }
    return providerReference(urn, id);
  }
}

/** The stack's `<pkg>:<key>` config as a default provider's inputs: `{ key: value }`, secrets in their envelope. */
function packageConfig(pkg: string): Record<string, unknown> {
  const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };
  return Object.fromEntries(Object.entries(pulumi.runtime.allConfig())
    .filter(([key]) => key.startsWith(`${pkg}:`))
    .map(([key, value]) => [key.slice(pkg.length + 1), runtime.isConfigSecret?.(key) === true ? { [specialSigKey]: specialSecretSig, value } : value]));
}

export type PasswordSource = (name: string, inputs: Readonly<Record<string, unknown>>) => string;

/** Synthetic AWS account of the mocks: outputs look as they would after a first deploy. */
const MOCK_ACCOUNT = "123456789012";

/** The one provider call the platform stack makes: reading an RDS cluster's managed master secret. */
export const MASTER_SECRET_CALL = "aws:secretsmanager/getSecretVersion:getSecretVersion";

function mockMasterSecret(inputs: Record<string, unknown>): Record<string, unknown> {
  const secretId = inputs["secretId"];
  if (typeof secretId !== "string" || !secretId.startsWith("arn:aws:secretsmanager:")) throw new Error(`${MASTER_SECRET_CALL} needs the managed secret's ARN (got ${String(secretId)})`);
  return { arn: secretId, id: secretId, secretId, secretString: JSON.stringify({ username: "mock-master", password: randomBytes(30).toString("base64url") }) };
}

function mockState(args: MockResourceArgs, passwordFor: PasswordSource): Record<string, unknown> {
  if (args.type === "random:index/randomPassword:RandomPassword") {
    return { ...args.inputs, result: passwordFor(args.name, args.inputs as Record<string, unknown>) };
  }
  // AWS outputs that other resources are built from (ARNs in policies, a key id in an alias):
  // unknown in a first preview, known here so every rule gets a value to judge.
  const aws = /^aws:([a-z0-9]+)\/([A-Za-z0-9]+):/.exec(args.type);
  if (aws !== null) {
    const [, service = "", kind = ""] = aws;
    const generated: Record<string, unknown> = { arn: `arn:aws:${service}:mock-region:${MOCK_ACCOUNT}:${kind.toLowerCase()}/${args.name}` };
    if (args.type === "aws:kms/key:Key") generated["keyId"] = `${args.name}-key-id`;
    if (args.type === "aws:iam/accessKey:AccessKey") generated["secret"] = randomBytes(30).toString("base64url");
    if (args.type === "aws:rds/cluster:Cluster") {
      // What RDS returns once the cluster exists: its writer endpoint and, with manageMasterUserPassword, the secret it keeps.
      generated["endpoint"] = `${args.name}.cluster-mock.rds.internal`;
      generated["port"] = 5432;
      generated["masterUserSecrets"] = args.inputs["manageMasterUserPassword"] === true
        ? [{ secretArn: `arn:aws:secretsmanager:mock-region:${MOCK_ACCOUNT}:secret:rds!cluster-${args.name}`, secretStatus: "active" }] : [];
    }
    return { ...generated, ...args.inputs };
  }
  return { ...args.inputs };
}
