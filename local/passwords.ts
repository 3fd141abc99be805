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
 * A password source that reuses what the state holds and remembers what it generated, so the
 * applier can store new values when it records the resource.
 */
export function statePasswords(applied: readonly AppliedResource[]): { source: PasswordSource; generated: Map<string, string> } {
  const generated = new Map<string, string>();
  const source: PasswordSource = (name, inputs) => {
    const known = applied.find((r) => r.name === name && r.type === TYPE.randomPassword);
    const result = known?.outputs?.["result"];
    if (known !== undefined && known.inputsHash === hashInputs(inputs) && typeof result === "string") return result;
    const fresh = generatePassword(inputs);
    generated.set(name, fresh);
    return fresh;
  };
  return { source, generated };
}
