-- A number that changes at every change to stations, sites and vehicles. A booking reads it
-- (one row) and reuses the site, station rules and fleet it read before under the same number,
-- in this process or another. Random rather than counted, so that two databases (a test's, a
-- copy) do not share a number once either has changed.
CREATE TABLE registry_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, random());
CREATE TRIGGER stations_insert_version AFTER INSERT ON stations
BEGIN UPDATE registry_version SET version = random(); END;
CREATE TRIGGER stations_update_version AFTER UPDATE ON stations
BEGIN UPDATE registry_version SET version = random(); END;
CREATE TRIGGER stations_delete_version AFTER DELETE ON stations
BEGIN UPDATE registry_version SET version = random(); END;
CREATE TRIGGER sites_insert_version AFTER INSERT ON sites
BEGIN UPDATE registry_version SET version = random(); END;
CREATE TRIGGER sites_update_version AFTER UPDATE ON sites
BEGIN UPDATE registry_version SET version = random(); END;
CREATE TRIGGER sites_delete_version AFTER DELETE ON sites
BEGIN UPDATE registry_version SET version = random(); END;
CREATE TRIGGER vehicles_insert_version AFTER INSERT ON vehicles
BEGIN UPDATE registry_version SET version = random(); END;
CREATE TRIGGER vehicles_update_version AFTER UPDATE ON vehicles
BEGIN UPDATE registry_version SET version = random(); END;
CREATE TRIGGER vehicles_delete_version AFTER DELETE ON vehicles
BEGIN UPDATE registry_version SET version = random(); END;
