import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/*
 * Senders of signed requests, written from the schemes' own definitions rather than from our
 * verifier: Standard Webhooks through the public `standardwebhooks` package, Stripe by its
 * documented scheme (HMAC-SHA256 of `<t>.<body>` keyed by the endpoint secret's text, hex, in
 * `Stripe-Signature: t=<t>,v1=<hex>`).
 */

export const newWhsec = () => `whsec_${randomBytes(32).toString("base64")}`;
export const newStripeSecret = () => `whsec_${randomBytes(24).toString("base64url")}`;

export function standardWebhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const signature = new Webhook(secret).sign(id, new Date(timestampSeconds * 1000), body);
  return { "webhook-id": id, "webhook-timestamp": String(timestampSeconds), "webhook-signature": signature };
}

export function stripeHeaders(secret: string, timestampSeconds: number, body: string): Record<string, string> {
  const v1 = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
  return { "stripe-signature": `t=${timestampSeconds},v1=${v1}` };
}
