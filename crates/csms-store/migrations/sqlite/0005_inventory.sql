-- The IACS inventory (sites, systems, assets) and its zones and conduits.
--
-- A child names its parent together with its organization, (org_id, parent_id), so that the
-- database itself refuses a zone of one organization holding an asset of another.

CREATE TABLE sites (
    id           BLOB    NOT NULL PRIMARY KEY,
    org_id       BLOB    NOT NULL REFERENCES organizations (id),
    name         TEXT    NOT NULL,
    location     TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    created_by   BLOB,
    updated_at   TEXT    NOT NULL,
    updated_by   BLOB,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, name),
    UNIQUE (org_id, id)
) STRICT;

-- An IACS, or the system under consideration of a risk assessment.
CREATE TABLE systems (
    id           BLOB    NOT NULL PRIMARY KEY,
    org_id       BLOB    NOT NULL REFERENCES organizations (id),
    site_id      BLOB,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    owner_id     BLOB REFERENCES users (id),
    criticality  TEXT    NOT NULL CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    created_at   TEXT    NOT NULL,
    created_by   BLOB,
    updated_at   TEXT    NOT NULL,
    updated_by   BLOB,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, name),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
) STRICT;
CREATE INDEX systems_site ON systems (org_id, site_id);

-- Security levels are written "3,3,2,2,1,1,3" (FR1 to FR7).
CREATE TABLE zones (
    id                  BLOB    NOT NULL PRIMARY KEY,
    org_id              BLOB    NOT NULL REFERENCES organizations (id),
    name                TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    system_id           BLOB,
    sl_t                TEXT    NOT NULL,
    sl_t_proposed       TEXT,
    sl_t_justification  TEXT    NOT NULL DEFAULT '',
    created_at          TEXT    NOT NULL,
    created_by          BLOB,
    updated_at          TEXT    NOT NULL,
    updated_by          BLOB,
    version             INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, name),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, system_id) REFERENCES systems (org_id, id)
) STRICT;
CREATE INDEX zones_system ON zones (org_id, system_id);

-- Channels are a JSON array of {protocol, port, direction, description}.
CREATE TABLE conduits (
    id            BLOB    NOT NULL PRIMARY KEY,
    org_id        BLOB    NOT NULL REFERENCES organizations (id),
    name          TEXT    NOT NULL,
    from_zone_id  BLOB    NOT NULL,
    to_zone_id    BLOB    NOT NULL,
    channels      TEXT    NOT NULL DEFAULT '[]',
    description   TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    created_by    BLOB,
    updated_at    TEXT    NOT NULL,
    updated_by    BLOB,
    version       INTEGER NOT NULL DEFAULT 1,
    CHECK (from_zone_id <> to_zone_id),
    UNIQUE (org_id, name),
    FOREIGN KEY (org_id, from_zone_id) REFERENCES zones (org_id, id),
    FOREIGN KEY (org_id, to_zone_id) REFERENCES zones (org_id, id)
) STRICT;
CREATE INDEX conduits_from ON conduits (org_id, from_zone_id);
CREATE INDEX conduits_to ON conduits (org_id, to_zone_id);

-- interfaces, protocols and custom are JSON. search is what the list's text search matches,
-- kept by the store: the tag, name, vendor, product family, model, order and serial numbers,
-- location and the interfaces' IP and MAC addresses, lowercased, one per line.
CREATE TABLE assets (
    id                BLOB    NOT NULL PRIMARY KEY,
    org_id            BLOB    NOT NULL REFERENCES organizations (id),
    asset_tag         TEXT    NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    asset_type        TEXT    NOT NULL CHECK (asset_type IN ('plc', 'dcs_controller', 'safety_system', 'hmi', 'engineering_workstation', 'historian', 'server', 'network_switch', 'firewall', 'rtu', 'ied', 'remote_io', 'sensor_actuator', 'other')),
    vendor            TEXT    NOT NULL DEFAULT '',
    product_family    TEXT    NOT NULL DEFAULT '',
    model             TEXT    NOT NULL DEFAULT '',
    order_number      TEXT    NOT NULL DEFAULT '',
    firmware_version  TEXT    NOT NULL DEFAULT '',
    serial_number     TEXT    NOT NULL DEFAULT '',
    purdue_level      TEXT    CHECK (purdue_level IN ('0', '1', '2', '3', '3.5', '4', '5')),
    location          TEXT    NOT NULL DEFAULT '',
    interfaces        TEXT    NOT NULL DEFAULT '[]',
    search            TEXT    NOT NULL DEFAULT '',
    protocols         TEXT    NOT NULL DEFAULT '[]',
    criticality       TEXT    NOT NULL CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    owner_id          BLOB REFERENCES users (id),
    system_id         BLOB,
    zone_id           BLOB,
    lifecycle         TEXT    NOT NULL CHECK (lifecycle IN ('planned', 'in_operation', 'maintenance', 'decommissioned')),
    sl_c              TEXT,
    custom            TEXT    NOT NULL DEFAULT '{}',
    created_at        TEXT    NOT NULL,
    created_by        BLOB,
    updated_at        TEXT    NOT NULL,
    updated_by        BLOB,
    version           INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, asset_tag),
    FOREIGN KEY (org_id, system_id) REFERENCES systems (org_id, id),
    FOREIGN KEY (org_id, zone_id) REFERENCES zones (org_id, id)
) STRICT;
-- The filtered list pages by asset_tag: each filter's index ends with it, so a page is one
-- range scan.
CREATE INDEX assets_zone ON assets (org_id, zone_id, asset_tag);
CREATE INDEX assets_system ON assets (org_id, system_id, asset_tag);
CREATE INDEX assets_type ON assets (org_id, asset_type, asset_tag);
CREATE INDEX assets_purdue ON assets (org_id, purdue_level, asset_tag);
CREATE INDEX assets_lifecycle ON assets (org_id, lifecycle, asset_tag);
