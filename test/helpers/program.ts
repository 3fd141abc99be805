import { runProgram, type ProgramRun } from "../../harness/run-program";
import type { RecordingMonitor, RegisteredResource } from "../../harness/recording-monitor";
import { stackConfigFor } from "./spec-builder";

/** Runs the real program under the recording mock monitor for an org spec given as plain data. */
export function runOrg(org: unknown, stack = "org-acme", monitor?: RecordingMonitor): Promise<ProgramRun> {
  return runProgram({ ...stackConfigFor(org), stack }, { monitor });
}

export const TYPES = {
  role: "postgresql:index/role:Role",
  database: "postgresql:index/database:Database",
  schema: "postgresql:index/schema:Schema",
  grant: "postgresql:index/grant:Grant",
  defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  grantRole: "postgresql:index/grantRole:GrantRole",
  stack: "pulumi:pulumi:Stack",
} as const;

export function ofType(run: ProgramRun, type: string): RegisteredResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** Grants and default privileges: every change to an ACL. */
export function aclChanges(run: ProgramRun): RegisteredResource[] {
  return run.resources.filter((r) => r.type === TYPES.grant || r.type === TYPES.defaultPrivileges);
}

export function input<T = unknown>(resource: RegisteredResource, key: string): T {
  return resource.inputs[key] as T;
}
