-- One station model: the numbers behind the seats sold are the numbers the planner plans with.
ALTER TABLE stations ADD COLUMN platelets_minutes_per_donor INTEGER NOT NULL DEFAULT 90;
ALTER TABLE stations ADD COLUMN plasma_minutes_per_donor INTEGER NOT NULL DEFAULT 45;
ALTER TABLE stations ADD COLUMN arrival_lead_minutes INTEGER NOT NULL DEFAULT 15;
ALTER TABLE stations ADD COLUMN min_turnout INTEGER NOT NULL DEFAULT 5;
ALTER TABLE stations ADD COLUMN window_change_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE stations ADD COLUMN detour_factor DOUBLE PRECISION NOT NULL DEFAULT 1.3;
ALTER TABLE stations ADD COLUMN average_speed_kmh DOUBLE PRECISION NOT NULL DEFAULT 30;
-- An OSRM table response (JSON) to use instead of great-circle estimates.
ALTER TABLE stations ADD COLUMN travel_matrix_file TEXT;
