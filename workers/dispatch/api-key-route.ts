import { judgeApiKey, preCheck, presentedApiKey, type KeyRecord, type KeyRequest, type KeyVerdict } from "../lib/api-key-admission";
import type { D1Database } from "../lib/bindings";
import { keyHashOf, lookupKeyStatement } from "../lib/api-key-store-sql";

/**
 * The router's API key step: undefined when the request presents no key (a user's token or
 * none), else the verdict. The hash is looked up in D1 on every request, never from a cache, so
 * a revocation refuses the very next request. A router without the store refuses every key.
 */
export async function admitApiKey(request: Request, store: D1Database | undefined, target: KeyRequest): Promise<KeyVerdict | undefined> {
  const key = presentedApiKey(request.headers);
  if (key === undefined) return undefined;
  const checked = preCheck(key, target.org);
  if ("admit" in checked) return checked;
  if (store === undefined) return { admit: false, status: 401, reason: "no key store bound" };
  const keyHash = await keyHashOf(key);
  const { sql, params } = lookupKeyStatement(keyHash);
  const record = await store.prepare(sql).bind(...params).first<KeyRecord>();
  return judgeApiKey(checked.kind, keyHash, record ?? undefined, target);
}
