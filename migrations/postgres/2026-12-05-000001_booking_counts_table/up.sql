-- Confirmed bookings per station, day, window, site and kind, kept by a trigger at every change
-- of a booking. The seat rule reads a station-day's few rows here at every booking instead of
-- counting its bookings, so a booking costs the same on a day of 2,000 as on a day of 20.
-- Every transaction that changes a day's bookings holds that day's advisory lock first (taken
-- in one order), so two of them never wait on each other's count rows.
CREATE TABLE booking_counts (
    station_id BIGINT NOT NULL,
    service_date DATE NOT NULL,
    time_window TEXT NOT NULL,
    site_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    PRIMARY KEY (station_id, service_date, time_window, site_id, kind)
);

INSERT INTO booking_counts (station_id, service_date, time_window, site_id, kind, confirmed)
SELECT station_id, service_date, time_window, site_id, kind, COUNT(*)
FROM bookings WHERE status = 'confirmed'
GROUP BY station_id, service_date, time_window, site_id, kind;

CREATE FUNCTION count_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'confirmed' THEN
        UPDATE booking_counts SET confirmed = confirmed - 1
        WHERE station_id = OLD.station_id AND service_date = OLD.service_date
          AND time_window = OLD.time_window AND site_id = OLD.site_id AND kind = OLD.kind;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'confirmed' THEN
        INSERT INTO booking_counts (station_id, service_date, time_window, site_id, kind, confirmed)
        VALUES (NEW.station_id, NEW.service_date, NEW.time_window, NEW.site_id, NEW.kind, 1)
        ON CONFLICT (station_id, service_date, time_window, site_id, kind)
        DO UPDATE SET confirmed = booking_counts.confirmed + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER booking_counts_insert AFTER INSERT ON bookings
    FOR EACH ROW WHEN (NEW.status = 'confirmed') EXECUTE FUNCTION count_booking();
CREATE TRIGGER booking_counts_delete AFTER DELETE ON bookings
    FOR EACH ROW WHEN (OLD.status = 'confirmed') EXECUTE FUNCTION count_booking();
CREATE TRIGGER booking_counts_update
    AFTER UPDATE OF status, station_id, service_date, time_window, site_id, kind ON bookings
    FOR EACH ROW
    WHEN ((OLD.status, OLD.station_id, OLD.service_date, OLD.time_window, OLD.site_id, OLD.kind)
          IS DISTINCT FROM
          (NEW.status, NEW.station_id, NEW.service_date, NEW.time_window, NEW.site_id, NEW.kind))
    EXECUTE FUNCTION count_booking();

-- The counts answer what this index was for.
DROP INDEX bookings_day_counts;
