/*
 * The bounds of every quota, inclusive, in one place: the spec refuses values outside them and
 * the policy pack refuses resources outside them. Both ends matter: a Postgres timeout of 0
 * means "no timeout" and a connection limit of -1 "unlimited", so both sit outside.
 */

export interface Bounds {
  readonly min: number;
  readonly max: number;
}

export const QUOTA_BOUNDS = {
  maxConnections: { min: 1, max: 200 },
  statementTimeoutMs: { min: 100, max: 60_000 },
  lockTimeoutMs: { min: 100, max: 60_000 },
  idleInTransactionTimeoutMs: { min: 1_000, max: 600_000 },
  /**
   * `temp_file_limit` per session, in MB. -1 is "unlimited" in Postgres; below 16 MB an ordinary
   * sort or hash spills past it; above 64 GB one session could fill a shared server's disk.
   */
  tempFileLimitMb: { min: 16, max: 65_536 },
  maxPageSize: { min: 1, max: 10_000 },
  maxConcurrentRequests: { min: 1, max: 10_000 },
} as const satisfies Record<string, Bounds>;

export function withinBounds(value: unknown, { min, max }: Bounds): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}
