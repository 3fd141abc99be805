import * as pulumi from "@pulumi/pulumi";
import type { OrgSpec } from "../spec/spec";
import { COMPONENT_TYPES } from "./type-tokens";

export interface TenantAppProps {
  readonly slug: string;
  readonly workspace: string;
  readonly access: OrgSpec["apps"][number]["access"];
  readonly namespace: string;
  /** Its scripts in the namespace, one per environment (`<app>-<env>`). */
  readonly scripts: readonly string[];
  readonly bindings: readonly { readonly name: string; readonly type: string; readonly text?: string }[];
}

/** One app of the org: who may reach it and the bindings its scripts get. Its props are the manifest the policy pack reads. */
export class TenantApp extends pulumi.ComponentResource {
  constructor(name: string, props: TenantAppProps, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.tenantApp, name, { ...props }, opts);
    this.registerOutputs({});
  }
}
