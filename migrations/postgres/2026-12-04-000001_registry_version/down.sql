DROP TRIGGER stations_version ON stations;
DROP TRIGGER sites_version ON sites;
DROP TRIGGER vehicles_version ON vehicles;
DROP FUNCTION bump_registry_version();
DROP TABLE registry_version;
