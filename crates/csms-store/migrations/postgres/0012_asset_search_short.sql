-- Short (one- and two-character) asset searches: on SQLite this migration makes the trigram
-- index serve them. pg_trgm cannot serve a query shorter than three characters, so PostgreSQL
-- keeps answering those with LIKE; nothing changes here (the migration keeps both backends at
-- the same schema version).
SELECT 1;
