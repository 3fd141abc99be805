-- The operator gateway's allowlist (rendered by workers/lib/operator-allowlist-sql.ts).
CREATE TABLE IF NOT EXISTS operator_allowlist (
  email TEXT PRIMARY KEY NOT NULL CHECK (email = lower(email)),
  role TEXT NOT NULL CHECK (role IN ('support-read', 'support-write', 'admin')),
  expires_at INTEGER,
  granted_by TEXT NOT NULL,
  granted_at INTEGER NOT NULL
) STRICT;
