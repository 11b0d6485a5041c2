-- Plans: every version of a station-day's routes stays readable.
CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations (id),
    service_date DATE NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    -- What made this version: plan, move, lock, unlock, vehicle_out, reoptimise.
    origin TEXT NOT NULL,
    -- Vehicles taken out for the day (a breakdown), comma-separated ids.
    vehicles_out TEXT NOT NULL,
    seed BIGINT NOT NULL,
    solve_ms INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    UNIQUE (station_id, service_date, version)
);

CREATE TABLE plan_routes (
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    vehicle_id BIGINT NOT NULL REFERENCES vehicles (id),
    depart_at TIMESTAMP NOT NULL,
    return_at TIMESTAMP NOT NULL,
    drive_seconds INTEGER NOT NULL,
    distance_m INTEGER NOT NULL,
    PRIMARY KEY (plan_id, vehicle_id)
);

-- A stop: one site in one window served by one vehicle (a large one is split across several),
-- or left out (no vehicle) with the constraint that kept it out. stop_id is kept across the
-- versions made from one another.
CREATE TABLE plan_stops (
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    stop_id INTEGER NOT NULL,
    site_id BIGINT NOT NULL REFERENCES sites (id),
    time_window TEXT NOT NULL,
    vehicle_id BIGINT REFERENCES vehicles (id),
    position INTEGER NOT NULL,
    arrival_at TIMESTAMP,
    start_at TIMESTAMP,
    end_at TIMESTAMP,
    locked BOOLEAN NOT NULL,
    whole_blood INTEGER NOT NULL,
    platelets INTEGER NOT NULL,
    plasma INTEGER NOT NULL,
    left_out_reason TEXT,
    -- The arrival window its donors were last told, if any (kept by insertions).
    promised_from TIMESTAMP,
    promised_to TIMESTAMP,
    PRIMARY KEY (plan_id, stop_id)
);

CREATE TABLE plan_bookings (
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    booking_id BIGINT NOT NULL REFERENCES bookings (id),
    stop_id INTEGER NOT NULL,
    PRIMARY KEY (plan_id, booking_id)
);
CREATE INDEX plan_bookings_booking ON plan_bookings (booking_id);

-- The arrival window a donor was told (null until a plan with the booking is published).
ALTER TABLE bookings ADD COLUMN arrival_from TIMESTAMP;
ALTER TABLE bookings ADD COLUMN arrival_to TIMESTAMP;
ALTER TABLE bookings ADD COLUMN plan_version INTEGER;
-- What happened on the day: donated, deferred or no_show.
ALTER TABLE bookings ADD COLUMN outcome TEXT CHECK (outcome IN ('donated', 'deferred', 'no_show'));
ALTER TABLE bookings ADD COLUMN outcome_at TIMESTAMP;

-- A booking with a recorded outcome no longer keeps its donor from booking again.
DROP INDEX bookings_one_active_per_donor;
CREATE UNIQUE INDEX bookings_one_active_per_donor ON bookings (donor_id)
    WHERE status = 'confirmed' AND outcome IS NULL;

-- Every publish that moved a donor's arrival window (new_* null: no longer on a route).
CREATE TABLE arrival_window_changes (
    id INTEGER PRIMARY KEY,
    booking_id BIGINT NOT NULL REFERENCES bookings (id),
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    old_from TIMESTAMP,
    old_to TIMESTAMP,
    new_from TIMESTAMP,
    new_to TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX arrival_window_changes_booking ON arrival_window_changes (booking_id);

-- Donors waiting for a seat at a full site-day-window; the request is kept to book them later.
CREATE TABLE waitlist (
    id INTEGER PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES stations (id),
    site_id BIGINT NOT NULL REFERENCES sites (id),
    service_date DATE NOT NULL,
    time_window TEXT NOT NULL,
    kind TEXT NOT NULL,
    phone TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'offered', 'withdrawn')),
    booking_id BIGINT REFERENCES bookings (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX waitlist_site_day ON waitlist (site_id, service_date, status);
CREATE UNIQUE INDEX waitlist_one_per_phone_and_day ON waitlist (phone, service_date)
    WHERE status = 'waiting';

-- Donations the station recorded (a booking's outcome), the donor's history for eligibility.
CREATE TABLE donations (
    id INTEGER PRIMARY KEY,
    donor_id BIGINT NOT NULL REFERENCES donors (id),
    booking_id BIGINT UNIQUE REFERENCES bookings (id),
    donated_on DATE NOT NULL,
    kind TEXT NOT NULL,
    volume_ml INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX donations_donor ON donations (donor_id, donated_on);
