DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE idempotency_keys;
DROP TABLE bookings;
DROP TABLE donors;
DROP TABLE vehicles;
DROP TABLE sites;
DROP TABLE stations;
