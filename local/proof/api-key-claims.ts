import type { OrgSpec } from "../../spec/spec";
import { mintKey, revokeKeys } from "../api-key-store";
import type { LocalEdge } from "../edge";
import type { ClaimResult } from "./claim";

/*
 * The edge claims for API keys (property 18), attempted as the machine client holding one key:
 * keys are minted into the edge's own (in-memory) store for the proof and never printed. Each
 * refusal row also shows the admitted request beside it, so a router that refuses everything
 * cannot pass; the controls with each guard edited out are in edge-api-keys-controls.test.ts.
 */

const row = (claim: string, attempt: string, ok: boolean, result: string): ClaimResult => ({ claim, attempt, result, status: ok ? "pass" : "fail" });

async function statusWith(edge: LocalEdge, path: string, key: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await edge.viaRouter(path, { headers: { authorization: `Bearer ${key}`, ...headers } });
  await response.arrayBuffer();
  return response.status;
}

/** One row per property the org's slots let the proof attempt; none when the org declares no key slots. */
export async function apiKeyClaims(edge: LocalEdge, spec: OrgSpec): Promise<ClaimResult[]> {
  const store = await edge.apiKeys();
  const rows: ClaimResult[] = [];
  const secret = spec.apiKeys.find((s) => s.kind === "secret");
  if (secret !== undefined) {
    const { key, id } = await mintKey(store, spec, secret.name);
    const own = `/${secret.environment}/${secret.app}/whoami`;
    const otherEnv = spec.environments.find((e) => e !== secret.environment);
    const admitted = await statusWith(edge, own, key);
    if (otherEnv !== undefined) {
      const elsewhere = await statusWith(edge, `/${otherEnv}/${secret.app}/whoami`, key);
      rows.push(row("an API key admits only to its own app and environment", `key of slot ${secret.name} to ${secret.app} in ${secret.environment}, then in ${otherEnv}`, admitted === 200 && elsewhere === 403, `${admitted}, then ${elsewhere}`));
    }
    const fromBrowser = await statusWith(edge, own, key, { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" });
    rows.push(row("a secret key is refused from a browser", `key of slot ${secret.name} with Sec-Fetch-Site, and without`, fromBrowser === 403 && admitted === 200, `${fromBrowser} (without: ${admitted})`));
    await revokeKeys(store, id);
    const revoked = await statusWith(edge, own, key);
    rows.push(row("a revoked API key is refused on the next request", `key of slot ${secret.name}, revoked after a request it passed`, admitted === 200 && revoked === 401, `${admitted}, revoked, then ${revoked}`));
  }
  const publishable = spec.apiKeys.find((s) => s.kind === "publishable");
  const origin = spec.apps.find((a) => a.slug === publishable?.app)?.origins[0];
  if (publishable !== undefined && origin !== undefined) {
    const { key } = await mintKey(store, spec, publishable.name);
    const path = `/${publishable.environment}/${publishable.app}/whoami`;
    const declared = await statusWith(edge, path, key, { origin });
    const other = await statusWith(edge, path, key, { origin: "https://attacker.example" });
    rows.push(row("a publishable key admits only from the app's origins", `key of slot ${publishable.name} from ${origin}, then from https://attacker.example`, declared === 200 && other === 403, `${declared}, then ${other}`));
  }
  return rows;
}
