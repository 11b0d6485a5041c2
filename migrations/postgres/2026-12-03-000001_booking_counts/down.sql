DROP INDEX bookings_day_counts;
