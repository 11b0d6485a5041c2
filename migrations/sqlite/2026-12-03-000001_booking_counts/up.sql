-- The seat rule counts a station-day's confirmed bookings per window, site and kind at every
-- booking: an index that holds those columns answers it without reading the rows.
CREATE INDEX bookings_day_counts ON bookings (station_id, service_date, time_window, site_id, kind)
    WHERE status = 'confirmed';
