import { randomInt } from "node:crypto";
import type { PasswordSource } from "../harness/recording-monitor";
import { TYPE } from "./provider-sql";
import { hashInputs, type AppliedResource } from "./state";

/*
 * random_password for the local apply: a value is generated once, with the provider's character
 * sets, and then read back from the local state for as long as the resource's inputs are the
 * same (as Pulumi keeps a random resource's result in its state).
 */

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";
/** terraform-provider-random's default special characters. */
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

export function generatePassword(inputs: Readonly<Record<string, unknown>>): string {
  const length = typeof inputs["length"] === "number" ? inputs["length"] : 16;
  const charset = [
    inputs["upper"] === false ? "" : UPPER,
    inputs["lower"] === false ? "" : LOWER,
    inputs["numeric"] === false ? "" : NUMERIC,
    inputs["special"] === false ? "" : typeof inputs["overrideSpecial"] === "string" ? inputs["overrideSpecial"] : SPECIAL,
  ].join("");
  return Array.from({ length }, () => charset[randomInt(charset.length)]).join("");
}

/**
 * A password source that reuses what the state holds (or else what the seed holds) and remembers
 * what it generated or took from the seed, so the applier can store new values when it records
 * the resource.
 */
export function statePasswords(applied: readonly AppliedResource[], seed: readonly AppliedResource[] = []): { source: PasswordSource; generated: Map<string, string> } {
  const generated = new Map<string, string>();
  const resultIn = (resources: readonly AppliedResource[], name: string, inputs: unknown): string | undefined => {
    const known = resources.find((r) => r.name === name && r.type === TYPE.randomPassword);
    const result = known?.outputs?.["result"];
    return known !== undefined && known.inputsHash === hashInputs(inputs) && typeof result === "string" ? result : undefined;
  };
  const source: PasswordSource = (name, inputs) => {
    const own = resultIn(applied, name, inputs);
    if (own !== undefined) return own;
    // Taken from the seed (another server's state of the stack): recorded as this state's own.
    const seeded = resultIn(seed, name, inputs);
    if (seeded !== undefined) {
      generated.set(name, seeded);
      return seeded;
    }
    const fresh = generatePassword(inputs);
    generated.set(name, fresh);
    return fresh;
  };
  return { source, generated };
}
