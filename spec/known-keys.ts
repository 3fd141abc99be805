import type { z } from "zod";

/*
 * The keys a strict object of the spec schema allows at a path of the input, read from the
 * schema itself, so a suggestion can never name a key the schema would refuse. Wrappers that
 * do not change the shape (optional, default, prefault, a refinement's pipe) are looked through.
 */

interface Def {
  readonly type: string;
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
  readonly element?: z.core.$ZodType;
  readonly innerType?: z.core.$ZodType;
  readonly in?: z.core.$ZodType;
  readonly options?: readonly z.core.$ZodType[];
}

const defOf = (schema: z.core.$ZodType): Def => schema._zod.def as Def;

/** The object keys `schema` allows at `path` (array indices walk into the element); none when the path leaves the schema. */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const def = defOf(schema);
  const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
  if (inner !== undefined) return knownKeysAt(inner, path);
  if (def.type === "union") return [...new Set((def.options ?? []).flatMap((option) => knownKeysAt(option, path)))];
  const [head, ...rest] = path;
  if (head === undefined) return def.type === "object" ? Object.keys(def.shape ?? {}) : [];
  if (def.type === "array" && typeof head === "number" && def.element !== undefined) return knownKeysAt(def.element, rest);
  const child = def.type === "object" && typeof head === "string" ? def.shape?.[head] : undefined;
  return child === undefined ? [] : knownKeysAt(child, rest);
}
