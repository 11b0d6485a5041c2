-- Dedupe keys start with the booking's id, zero-padded: a booking's notices are written
-- together and newer bookings sort later, so the unique index grows at its end instead of
-- taking a random page per notice (each a page more to write at every commit).
UPDATE notices
SET dedupe_key = lpad(booking_id::text, greatest(10, length(booking_id::text)), '0') || ':' || dedupe_key
WHERE booking_id IS NOT NULL;
