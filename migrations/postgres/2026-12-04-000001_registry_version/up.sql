-- A number that changes at every change to stations, sites and vehicles. A booking reads it
-- (one row) and reuses the site, station rules and fleet it read before under the same number,
-- in this process or another. Random rather than counted, so that two databases (a test's, a
-- copy) do not share a number once either has changed.
CREATE TABLE registry_version (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, (random() * 9.2e18)::bigint);
CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_version SET version = (random() * 9.2e18)::bigint;
    RETURN NULL;
END
$$;
CREATE TRIGGER stations_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON stations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER sites_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER vehicles_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vehicles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
