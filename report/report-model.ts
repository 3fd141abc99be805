/*
 * What an org's trust page says (issue 20), as data: built from evidence by report/build-model.ts
 * (a proof run, the access evaluator the router bundles, the policy pack run in-process, the
 * spec), rendered by report/render-html.ts. Pure data, no functions: a saved model could be
 * rendered again, and the renderer can be tested from a fixture.
 *
 * Nothing here ever holds a secret value: secrets appear by reference (name, scope, hosts).
 */

/** A claim's outcome, as the proof table says it. */
export type ClaimStatus = "pass" | "fail" | "skip";

/** One proof claim as the page shows it under a property. */
export interface ReportClaim {
  readonly claim: string;
  /** Who attempted what (the role and the statement or request). */
  readonly attempt: string;
  /** What the server or router answered: the SQLSTATE or HTTP status, or the error. */
  readonly result: string;
  readonly status: ClaimStatus;
  /** When the claim ran (ISO 8601), when the proof recorded it. */
  readonly at?: string;
}

/**
 * How a property stands on this page:
 * - proven: at least one claim of a proof run for this page attempted it and every claim held;
 * - broken: a claim attempted it and failed;
 * - unverified: claims of a saved proof held, as the file says; a file can be edited by hand and
 *   this page cannot tell, so a saved proof never makes a property proven;
 * - policy-only: no claim attempts it; the policy pack's rules refuse what would break it;
 * - not-proven-offline: neither a claim nor a rule shows it here (said plainly, with why).
 */
export type PropertyVerdict = "proven" | "broken" | "unverified" | "policy-only" | "not-proven-offline";

export interface ReportProperty {
  /** 1-20, DESIGN.md's posture table. */
  readonly number: number;
  readonly title: string;
  /** What makes it hold, in a sentence. */
  readonly enforcedBy: string;
  readonly verdict: PropertyVerdict;
  readonly claims: readonly ReportClaim[];
  /** The policy pack's rules that guard it, by name. */
  readonly policies: readonly string[];
  /** Why it is policy-only or not proven offline, when it is. */
  readonly note?: string;
}

/** Who may (or may not) reach an app: each kind the access matrix has a row for. */
export type PrincipalKind = "role" | "user" | "workspace" | "api-key" | "integration";

export interface AccessPrincipal {
  readonly kind: PrincipalKind;
  /** `admin`, `ana@acme.example`, `storefront members`, `storefront-server (secret key)`, `stripe`. */
  readonly name: string;
}

export interface AccessCell {
  readonly principal: AccessPrincipal;
  readonly app: string;
  readonly environment: string;
  readonly decision: "allow" | "deny";
  /** The evaluator's (or the router's) reason, word for word; an allow the router's SSO rule conditions says so after it. */
  readonly reason: string;
}

export interface AccessMatrix {
  readonly principals: readonly AccessPrincipal[];
  /** Columns: every app in every environment it runs in. */
  readonly columns: readonly { readonly app: string; readonly environment: string }[];
  readonly cells: readonly AccessCell[];
}

export interface PolicyOutcome {
  readonly rule: string;
  readonly enforcement: "mandatory" | "advisory" | "disabled";
  readonly outcome: "pass" | "fail";
  /** The violation's message when it failed. */
  readonly message?: string;
}

export interface SecretReference {
  readonly name: string;
  /** The one environment whose apps may use it. */
  readonly scope: string;
  /** Where the value lives, as a reference (`aws-secretsmanager:<name>#<key>`): never the value. */
  readonly reference: string;
  readonly allowedHosts: readonly string[];
}

export interface ReportModel {
  readonly org: {
    readonly slug: string;
    readonly tier: string;
    readonly environments: readonly string[];
    readonly workspaces: readonly string[];
    readonly apps: readonly { readonly name: string; readonly workspace: string; readonly access: string }[];
    /** The declared cluster, when the org is placed. */
    readonly placement?: string;
    /**
     * The database roles of each environment, as the plan names them (the page's diagram draws
     * them). Optional: without it the diagram says "runtime role" and "DDL role".
     */
    readonly roles?: readonly { readonly environment: string; readonly runtime: string; readonly ddl: string }[];
    /** Each workspace x environment's schema, as the plan names it. Optional, like `roles`. */
    readonly schemas?: readonly { readonly workspace: string; readonly environment: string; readonly name: string }[];
  };
  readonly proof: {
    /** A proof run for this page, or a saved `prove --local --json` result read from a file. */
    readonly source: { readonly kind: "fresh" } | { readonly kind: "saved"; readonly file: string };
    /** Where it ran: the embedded server, or a deployed one. */
    readonly target: string;
    readonly provedAt: string;
    readonly counts: { readonly hold: number; readonly broken: number; readonly skipped: number };
  };
  readonly properties: readonly ReportProperty[];
  readonly access: AccessMatrix;
  readonly policies: readonly PolicyOutcome[];
  readonly secrets: readonly SecretReference[];
  /** What this page cannot show from here, each in a sentence. */
  readonly notProvenHere: readonly string[];
  readonly tenantry: { readonly version: string; readonly commit: string };
  readonly generatedAt: string;
}
