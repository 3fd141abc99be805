import type { BASE_ROLES } from "../workers/lib/access-policy";

/*
 * The org's base roles in a module without zod, so the command line's help can name them
 * without loading the spec (spec.ts re-exports them).
 */

/** The base roles, highest first (access-policy.ts ranks them). */
export const ORG_ROLES = ["owner", "admin", "developer", "viewer"] as const satisfies readonly (typeof BASE_ROLES)[number][];
