DROP TRIGGER booking_counts_update;
DROP TRIGGER booking_counts_delete;
DROP TRIGGER booking_counts_insert;
DROP TABLE booking_counts;
CREATE INDEX bookings_day_counts ON bookings (station_id, service_date, time_window, site_id, kind)
    WHERE status = 'confirmed';
