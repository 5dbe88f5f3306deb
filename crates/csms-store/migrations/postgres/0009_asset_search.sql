-- Fast asset search and two more list filters.
--
-- The free-text search of the asset list is `search LIKE '%text%'` over `assets.search` (the
-- searched attributes, lowercased, one per line). A trigram GIN index lets PostgreSQL answer it
-- without scanning the table for queries of three or more characters. pg_trgm is a trusted
-- extension (PostgreSQL 13 and later): the database owner may create it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX assets_search_trgm ON assets USING gin (search gin_trgm_ops);

CREATE INDEX assets_criticality ON assets (org_id, criticality, asset_tag);
