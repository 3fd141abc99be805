import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzerProviderResource, AnalyzerResource, AnalyzerResourceOptions, AnalyzeStackRequest, type AnalyzeResponse } from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { providerUrnOf } from "../../harness/provider-reference";
import type { RegisteredResource } from "../../harness/recording-monitor";
import type { Violation } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { stackConfigFor } from "./spec-builder";

/*
 * The built pack (dist/policies/index.js) served by @pulumi/policy's own gRPC server, and
 * called as the engine calls it: each resource with the provider the engine resolves for it
 * (AnalyzerProviderResource: URN, type, name, the provider's inputs).
 */

const ROOT = join(__dirname, "..", "..");

export interface ServedPack {
  analyzeStack(resources: readonly RegisteredResource[]): Promise<{ policy: string; urn: string; message: string }[]>;
  close(): void;
}

/**
 * The program run from the build in dist/, as `pulumi preview` runs it (Pulumi.yaml points there):
 * a SqlMigration's provider is registered as the code it is compiled to, which the served pack,
 * built from the same sources, compares against.
 */
export function runBuiltOrg(org: unknown, stack = "org-acme"): Promise<ProgramRun> {
  return built<typeof import("../../harness/run-program")>("harness/run-program.js").runProgram({ ...stackConfigFor(org), stack });
}

/** The pack run in-process from the build in dist/, as `tenantry check` runs it. */
export function runBuiltPolicies(resources: readonly RegisteredResource[]): Promise<Violation[]> {
  return built<typeof import("../../harness/run-policies")>("harness/run-policies.js").runPolicies(resources);
}

const built = <M>(path: string): M => createRequire(join(ROOT, "package.json"))(join(ROOT, "dist", path)) as M;

export async function servePack(): Promise<ServedPack> {
  // The pack reads its version from the package.json of its working directory, as under the CLI.
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "dist", "policies", "index.js")], { cwd: join(ROOT, "policies"), stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(\d+)\n/.exec(out);
      if (line !== null) resolve(line[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the pack exited with ${String(code)} before serving`)));
  });
  const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    analyzeStack: (resources) => new Promise((resolve, reject) => {
      client.analyzeStack(stackRequest(resources), (error: grpc.ServiceError | null, response?: AnalyzeResponse) => {
        if (error !== null || response === undefined) return reject(error ?? new Error("no response"));
        resolve(response.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), urn: d.getUrn(), message: d.getMessage() })));
      });
    }),
    close: () => {
      client.close();
      child.kill();
    },
  };
}

function stackRequest(resources: readonly RegisteredResource[]): AnalyzeStackRequest {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  return new AnalyzeStackRequest().setResourcesList(resources.map((r) => {
    const resource = new AnalyzerResource()
      .setType(r.type).setUrn(r.urn).setName(r.name)
      .setProperties(Struct.fromJavaScript(r.inputs as Record<string, never>))
      .setOptions(new AnalyzerResourceOptions().setProtect(r.protect).setParent(r.parent ?? ""))
      .setParent(r.parent ?? "")
      .setDependenciesList([...r.dependsOn]);
    const provider = r.provider === undefined ? undefined : byUrn.get(providerUrnOf(r.provider));
    if (provider !== undefined) {
      resource.setProvider(new AnalyzerProviderResource()
        .setType(provider.type).setUrn(provider.urn).setName(provider.name)
        .setProperties(Struct.fromJavaScript(provider.inputs as Record<string, never>)));
    }
    return resource;
  }));
}
