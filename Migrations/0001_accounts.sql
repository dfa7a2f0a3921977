-- Accounts and their tenants: one account (email + password) owns one tenant.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE tenants (
    id         TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);

-- Ingest tokens (write-only) and read keys: only a SHA-256 digest and a short visible prefix are kept.
CREATE TABLE ingest_tokens (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    digest       BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX ingest_tokens_by_tenant ON ingest_tokens(tenant_id);

CREATE TABLE read_keys (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    digest       BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX read_keys_by_tenant ON read_keys(tenant_id);

-- Web sessions, looked up by the digest of the cookie value.
CREATE TABLE sessions (
    digest     BLOB    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_account ON sessions(account_id);

-- Log-in and sign-up attempts per client address, for throttling.
CREATE TABLE login_attempts (
    id        INTEGER PRIMARY KEY,
    address   TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('login', 'signup')),
    at        INTEGER NOT NULL,
    succeeded INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_address ON login_attempts(address, kind, at);
