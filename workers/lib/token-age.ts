/*
 * How old a token the router still accepts, in its own module without imports: the router
 * enforces it, and `tenantry token` bounds a token's lifetime by it without loading the router.
 */

/** The oldest token (by `iat`) the router accepts, in seconds: 12 h. */
export const MAX_TOKEN_AGE = 12 * 60 * 60;
