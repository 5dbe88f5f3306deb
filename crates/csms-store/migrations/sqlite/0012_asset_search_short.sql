-- Short (one- and two-character) asset searches served by the trigram index.
--
-- A trigram index finds the rows holding a piece of three characters. A query of one or two
-- characters is a prefix of the trigrams that follow it in the text; so that every character of
-- the text starts a trigram, the index now holds each row's `search` followed by two line
-- breaks (a query never holds a line break, so they never match by themselves). The store looks
-- a short query's trigrams up in the index's term list (`assets_fts_terms`) and asks the index
-- for the rows holding any of them; LIKE keeps the exact substring matches as before.

DROP TRIGGER assets_fts_insert;
DROP TRIGGER assets_fts_delete;
DROP TRIGGER assets_fts_update;

INSERT INTO assets_fts (assets_fts) VALUES ('delete-all');
INSERT INTO assets_fts (rowid, search) SELECT rowid, search || char(10, 10) FROM assets;

CREATE TRIGGER assets_fts_insert AFTER INSERT ON assets BEGIN
    INSERT INTO assets_fts (rowid, search) VALUES (new.rowid, new.search || char(10, 10));
END;

CREATE TRIGGER assets_fts_delete AFTER DELETE ON assets BEGIN
    INSERT INTO assets_fts (assets_fts, rowid, search) VALUES ('delete', old.rowid, old.search || char(10, 10));
END;

CREATE TRIGGER assets_fts_update AFTER UPDATE OF search ON assets BEGIN
    INSERT INTO assets_fts (assets_fts, rowid, search) VALUES ('delete', old.rowid, old.search || char(10, 10));
    INSERT INTO assets_fts (rowid, search) VALUES (new.rowid, new.search || char(10, 10));
END;

-- The index's terms with the number of rows holding each (read by short queries).
CREATE VIRTUAL TABLE assets_fts_terms USING fts5vocab (assets_fts, row);
