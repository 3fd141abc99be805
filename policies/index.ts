import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, TENANTRY_POLICIES } from "./all";

/*
 * The tenantry CrossGuard pack: `pulumi preview --policy-pack policies`. It runs with the
 * project's node_modules (run `npm ci` at the project root first). The rules are listed in
 * all.ts, which `tenantry check` also runs offline.
 */
new PolicyPack(POLICY_PACK_NAME, { policies: [...TENANTRY_POLICIES] });
