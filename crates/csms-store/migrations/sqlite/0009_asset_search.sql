-- Fast asset search and two more list filters.
--
-- The free-text search of the asset list matches a substring of `assets.search` (the searched
-- attributes, lowercased, one per line). A trigram full-text index answers queries of three or
-- more characters without scanning the table; shorter queries still use LIKE (a trigram index
-- cannot serve them). The index is external content over `assets`, kept in sync by triggers.
-- It stores no positions (detail = none; a third of the insert time of the full index): a query
-- asks for rows holding all of its trigrams, and LIKE on `search` keeps the exact matches.

CREATE VIRTUAL TABLE assets_fts USING fts5 (
    search,
    content = 'assets',
    content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 1',
    detail = none
);

INSERT INTO assets_fts (rowid, search) SELECT rowid, search FROM assets;

CREATE TRIGGER assets_fts_insert AFTER INSERT ON assets BEGIN
    INSERT INTO assets_fts (rowid, search) VALUES (new.rowid, new.search);
END;

CREATE TRIGGER assets_fts_delete AFTER DELETE ON assets BEGIN
    INSERT INTO assets_fts (assets_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
END;

CREATE TRIGGER assets_fts_update AFTER UPDATE OF search ON assets BEGIN
    INSERT INTO assets_fts (assets_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
    INSERT INTO assets_fts (rowid, search) VALUES (new.rowid, new.search);
END;

CREATE INDEX assets_criticality ON assets (org_id, criticality, asset_tag);
