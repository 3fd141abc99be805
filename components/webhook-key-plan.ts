/*
 * Which random keys hold the org's webhook signing secrets through rotations (property 19), and
 * which is current and which the previous one. Each environment with webhook endpoints has its own
 * pair of slots (the component names them `<slot>-<environment>`), and one generation rotates them all. Two slots alternate: generation g lives in slot
 * "a" when g is odd and in slot "b" when it is even, and a slot's keepers name the generation it
 * holds. Raising the generation by one therefore changes the keepers of exactly one slot (Pulumi
 * replaces that key: a new secret) and leaves the other, which holds the secret receivers have
 * now, untouched. Generation 1 has no keepers. Pure: no Pulumi import.
 */

export interface WebhookKeySlot {
  /** The slot's name, the child resource's suffix before its environment: `webhook-key` (slot a) or `webhook-key-b`. */
  readonly name: "webhook-key" | "webhook-key-b";
  /** The generation whose secret this slot holds. */
  readonly generation: number;
  /** The RandomPassword's keepers: a change replaces the key. Absent for generation 1. */
  readonly keepers?: Readonly<Record<string, string>>;
}

export interface WebhookKeyPlan {
  readonly slots: readonly WebhookKeySlot[];
  /** Signs every delivery. */
  readonly current: WebhookKeySlot;
  /** Also signs during an overlap (previousUntil declared); undefined otherwise. */
  readonly previous?: WebhookKeySlot;
  /** When the outbound Worker stops signing with the previous secret, in ms since the epoch. */
  readonly previousUntil?: number;
}

function slotHolding(name: WebhookKeySlot["name"], generation: number): WebhookKeySlot {
  return generation === 1 ? { name, generation } : { name, generation, keepers: { generation: String(generation) } };
}

/** The latest generation up to `generation` whose parity is `parity` (1: odd, 0: even). */
const latestOf = (generation: number, parity: 0 | 1) => (generation % 2 === parity ? generation : generation - 1);

export function planWebhookKeys(signing: { readonly generation: number; readonly previousUntil?: string | undefined }): WebhookKeyPlan {
  const { generation } = signing;
  const a = slotHolding("webhook-key", latestOf(generation, 1));
  const b = generation >= 2 ? slotHolding("webhook-key-b", latestOf(generation, 0)) : undefined;
  const slots = b === undefined ? [a] : [a, b];
  const current = generation % 2 === 1 ? a : (b ?? a);
  const other = current === a ? b : a;
  if (signing.previousUntil === undefined || other === undefined) return { slots, current };
  return { slots, current, previous: other, previousUntil: Date.parse(signing.previousUntil) };
}

/**
 * The environments that sign deliveries, in the org's order: each one with at least one webhook
 * endpoint gets a secret of its own, so no environment's delivery verifies at another's receiver.
 */
export function webhookEnvironments(spec: { readonly environments: readonly string[]; readonly webhooks: readonly { readonly environment: string }[] }): string[] {
  return spec.environments.filter((environment) => spec.webhooks.some((w) => w.environment === environment));
}
