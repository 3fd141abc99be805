import { PolicyPack } from "@pulumi/policy";
import { TENANTRY_POLICIES } from "./all";

/*
 * The tenantry CrossGuard pack: `pulumi preview --policy-pack policies`. It runs with the
 * project's node_modules (run `npm ci` at the project root first). The rules are listed in
 * all.ts, which `tenantry check` also runs offline.
 */
new PolicyPack("tenantry-security", { policies: [...TENANTRY_POLICIES] });
