DROP TRIGGER booking_counts_update ON bookings;
DROP TRIGGER booking_counts_delete ON bookings;
DROP TRIGGER booking_counts_insert ON bookings;
DROP FUNCTION count_booking();
DROP TABLE booking_counts;
CREATE INDEX bookings_day_counts ON bookings (station_id, service_date, time_window, site_id, kind)
    WHERE status = 'confirmed';
