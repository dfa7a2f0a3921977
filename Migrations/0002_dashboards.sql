-- Dashboards and playlists: JSON documents owned by a tenant (SPEC 7). Unknown fields of a document are kept.
CREATE TABLE dashboards (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    document   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX dashboards_by_tenant ON dashboards(tenant_id);

CREATE TABLE playlists (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    document   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX playlists_by_tenant ON playlists(tenant_id);

-- Share keys open one dashboard or one playlist read-only on a TV. Only the SHA-256 digest is kept; a board has
-- at most one live key, and sharing again retires the old one.
CREATE TABLE share_keys (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    dashboard_id INTEGER REFERENCES dashboards(id) ON DELETE CASCADE,
    playlist_id  INTEGER REFERENCES playlists(id) ON DELETE CASCADE,
    prefix       TEXT    NOT NULL,
    digest       BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    CHECK ((dashboard_id IS NULL) <> (playlist_id IS NULL))
);
CREATE INDEX share_keys_by_dashboard ON share_keys(dashboard_id);
CREATE INDEX share_keys_by_playlist ON share_keys(playlist_id);
