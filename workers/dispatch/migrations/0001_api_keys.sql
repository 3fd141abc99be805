-- The org's API key hashes (rendered by workers/lib/api-key-store-sql.ts). Never a key.
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY NOT NULL CHECK (id GLOB 'key_[0-9a-f]*' AND length(id) = 20),
  key_hash TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64 AND key_hash NOT GLOB '*[^0-9a-f]*'),
  slot TEXT NOT NULL,
  app TEXT NOT NULL,
  environment TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('publishable', 'secret')),
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
