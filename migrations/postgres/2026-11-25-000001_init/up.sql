-- Registry: stations, their sites (communities and villages) and their bloodmobiles.
CREATE TABLE stations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    depot_name TEXT NOT NULL,
    depot_address TEXT NOT NULL,
    depot_lat DOUBLE PRECISION NOT NULL,
    depot_lon DOUBLE PRECISION NOT NULL,
    windows TEXT NOT NULL,
    horizon_min_days INTEGER NOT NULL,
    horizon_max_days INTEGER NOT NULL,
    cutoff_days_before INTEGER NOT NULL,
    cutoff_time TIME NOT NULL,
    change_notice_minutes INTEGER NOT NULL,
    processing_limit_minutes INTEGER NOT NULL,
    minutes_per_donor INTEGER NOT NULL,
    setup_minutes INTEGER NOT NULL,
    packup_minutes INTEGER NOT NULL,
    utilisation_percent INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sites (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations (id),
    kind TEXT NOT NULL CHECK (kind IN ('community', 'village')),
    district TEXT NOT NULL,
    township TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    contact_name TEXT,
    contact_phone TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (station_id, district, township, name)
);
CREATE INDEX sites_station_district ON sites (station_id, district);

CREATE TABLE vehicles (
    id BIGSERIAL PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations (id),
    name TEXT NOT NULL,
    plate TEXT,
    beds INTEGER NOT NULL CHECK (beds > 0),
    donors_per_day INTEGER NOT NULL CHECK (donors_per_day > 0),
    shift_start TIME NOT NULL,
    shift_end TIME NOT NULL,
    kinds TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (station_id, name)
);

-- Donors are known by their mobile phone (E.164).
CREATE TABLE donors (
    id BIGSERIAL PRIMARY KEY,
    phone TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    birth_date DATE NOT NULL,
    sex TEXT NOT NULL,
    weight_kg DOUBLE PRECISION NOT NULL,
    blood_type TEXT,
    last_donation_date DATE,
    last_donation_kind TEXT,
    vaccination_date DATE,
    vaccine_type TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE bookings (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    manage_token_hash TEXT NOT NULL,
    donor_id BIGINT NOT NULL REFERENCES donors (id),
    station_id BIGINT NOT NULL REFERENCES stations (id),
    site_id BIGINT NOT NULL REFERENCES sites (id),
    service_date DATE NOT NULL,
    time_window TEXT NOT NULL,
    kind TEXT NOT NULL,
    volume_ml INTEGER NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    cancelled_at TIMESTAMP
);
CREATE INDEX bookings_slot ON bookings (station_id, service_date, time_window, status);
-- One active booking per donor, enforced by the database itself.
CREATE UNIQUE INDEX bookings_one_active_per_donor ON bookings (donor_id) WHERE status = 'confirmed';

-- Responses of create requests that carried an Idempotency-Key header.
CREATE TABLE idempotency_keys (
    idempotency_key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Dispatcher accounts and their bearer tokens (only hashes are stored).
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
