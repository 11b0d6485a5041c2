// One schema for both backends. Kept by hand in step with `migrations/{sqlite,postgres}`:
// ids are BIGINT (SQLite's INTEGER PRIMARY KEY is 64-bit), instants are UTC `Timestamp`s.

diesel::table! {
    stations (id) {
        id -> BigInt,
        name -> Text,
        time_zone -> Text,
        depot_name -> Text,
        depot_address -> Text,
        depot_lat -> Double,
        depot_lon -> Double,
        windows -> Text,
        horizon_min_days -> Integer,
        horizon_max_days -> Integer,
        cutoff_days_before -> Integer,
        cutoff_time -> Time,
        change_notice_minutes -> Integer,
        processing_limit_minutes -> Integer,
        minutes_per_donor -> Integer,
        setup_minutes -> Integer,
        packup_minutes -> Integer,
        utilisation_percent -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        platelets_minutes_per_donor -> Integer,
        plasma_minutes_per_donor -> Integer,
        arrival_lead_minutes -> Integer,
        min_turnout -> Integer,
        window_change_minutes -> Integer,
        detour_factor -> Double,
        average_speed_kmh -> Double,
        travel_matrix_file -> Nullable<Text>,
        plasma_policy -> Text,
        reminder_hour -> Integer,
        sms_daily_cap -> Integer,
    }
}

diesel::table! {
    sites (id) {
        id -> BigInt,
        station_id -> BigInt,
        kind -> Text,
        district -> Text,
        township -> Text,
        name -> Text,
        address -> Text,
        lat -> Double,
        lon -> Double,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    vehicles (id) {
        id -> BigInt,
        station_id -> BigInt,
        name -> Text,
        plate -> Nullable<Text>,
        beds -> Integer,
        donors_per_day -> Integer,
        shift_start -> Time,
        shift_end -> Time,
        kinds -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    donors (id) {
        id -> BigInt,
        phone -> Text,
        name -> Text,
        email -> Nullable<Text>,
        birth_date -> Date,
        sex -> Text,
        weight_kg -> Double,
        blood_type -> Nullable<Text>,
        vaccination_date -> Nullable<Date>,
        vaccine_type -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        apheresis_12m_count -> Nullable<Integer>,
        apheresis_12m_volume_ml -> Nullable<Integer>,
        apheresis_12m_as_of -> Nullable<Date>,
        adverse_reaction_before -> Bool,
        vaccination_time -> Nullable<Time>,
    }
}

diesel::table! {
    bookings (id) {
        id -> BigInt,
        reference -> Text,
        manage_token_hash -> Text,
        donor_id -> BigInt,
        station_id -> BigInt,
        site_id -> BigInt,
        service_date -> Date,
        time_window -> Text,
        kind -> Text,
        volume_ml -> Integer,
        language -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        cancelled_at -> Nullable<Timestamp>,
        arrival_from -> Nullable<Timestamp>,
        arrival_to -> Nullable<Timestamp>,
        plan_version -> Nullable<Integer>,
        outcome -> Nullable<Text>,
        outcome_at -> Nullable<Timestamp>,
        invite_sequence -> Integer,
    }
}

diesel::table! {
    idempotency_keys (idempotency_key) {
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    plans (id) {
        id -> BigInt,
        station_id -> BigInt,
        service_date -> Date,
        version -> Integer,
        status -> Text,
        origin -> Text,
        vehicles_out -> Text,
        seed -> BigInt,
        solve_ms -> Integer,
        created_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    plan_routes (plan_id, vehicle_id) {
        plan_id -> BigInt,
        vehicle_id -> BigInt,
        depart_at -> Timestamp,
        return_at -> Timestamp,
        drive_seconds -> Integer,
        distance_m -> Integer,
    }
}

diesel::table! {
    plan_stops (plan_id, stop_id) {
        plan_id -> BigInt,
        stop_id -> Integer,
        site_id -> BigInt,
        time_window -> Text,
        vehicle_id -> Nullable<BigInt>,
        position -> Integer,
        arrival_at -> Nullable<Timestamp>,
        start_at -> Nullable<Timestamp>,
        end_at -> Nullable<Timestamp>,
        locked -> Bool,
        whole_blood -> Integer,
        platelets -> Integer,
        plasma -> Integer,
        left_out_reason -> Nullable<Text>,
        promised_from -> Nullable<Timestamp>,
        promised_to -> Nullable<Timestamp>,
    }
}

diesel::table! {
    plan_bookings (plan_id, booking_id) {
        plan_id -> BigInt,
        booking_id -> BigInt,
        stop_id -> Integer,
    }
}

diesel::table! {
    arrival_window_changes (id) {
        id -> BigInt,
        booking_id -> BigInt,
        plan_id -> BigInt,
        old_from -> Nullable<Timestamp>,
        old_to -> Nullable<Timestamp>,
        new_from -> Nullable<Timestamp>,
        new_to -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    waitlist (id) {
        id -> BigInt,
        station_id -> BigInt,
        site_id -> BigInt,
        service_date -> Date,
        time_window -> Text,
        kind -> Text,
        phone -> Text,
        request -> Text,
        status -> Text,
        booking_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    donations (id) {
        id -> BigInt,
        donor_id -> BigInt,
        booking_id -> Nullable<BigInt>,
        donated_on -> Date,
        kind -> Text,
        volume_ml -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    declared_donations (id) {
        id -> BigInt,
        donor_id -> BigInt,
        kind -> Text,
        donated_on -> Date,
        volume_ml -> Nullable<Integer>,
        declared_on -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notices (id) {
        id -> BigInt,
        dedupe_key -> Text,
        out_id -> Text,
        kind -> Text,
        channel -> Text,
        booking_id -> Nullable<BigInt>,
        recipient -> Text,
        language -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        due_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        leased_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        delivery -> Nullable<Text>,
        delivery_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sms_opt_outs (phone) {
        phone -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sites -> stations (station_id));
diesel::joinable!(vehicles -> stations (station_id));
diesel::joinable!(bookings -> donors (donor_id));
diesel::joinable!(bookings -> sites (site_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    sign_in_failures (account) {
        account -> Text,
        failures -> Integer,
        last_failure -> Timestamp,
    }
}
diesel::table! {
    /// Confirmed bookings per station, day, window, site and kind, kept by triggers on
    /// `bookings`.
    booking_counts (station_id, service_date, time_window, site_id, kind) {
        station_id -> BigInt,
        service_date -> Date,
        time_window -> Text,
        site_id -> BigInt,
        kind -> Text,
        confirmed -> Integer,
    }
}

diesel::table! {
    registry_version (id) {
        id -> BigInt,
        version -> BigInt,
    }
}

diesel::joinable!(plan_routes -> plans (plan_id));
diesel::joinable!(plan_stops -> plans (plan_id));
diesel::joinable!(plan_stops -> sites (site_id));
diesel::joinable!(plan_bookings -> plans (plan_id));
diesel::joinable!(plan_bookings -> bookings (booking_id));
diesel::joinable!(bookings -> stations (station_id));
diesel::joinable!(donations -> donors (donor_id));
diesel::joinable!(notices -> bookings (booking_id));
diesel::joinable!(declared_donations -> donors (donor_id));

diesel::allow_tables_to_appear_in_same_query!(
    stations,
    sites,
    vehicles,
    donors,
    bookings,
    idempotency_keys,
    users,
    api_tokens,
    notices,
    sms_opt_outs,
    plans,
    plan_routes,
    plan_stops,
    plan_bookings,
    arrival_window_changes,
    waitlist,
    donations,
    declared_donations,
    registry_version,
    booking_counts,
);
