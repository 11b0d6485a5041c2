//! The registry's console pages: a dispatcher adds a community and a bloodmobile through the
//! forms, sees a refused field's message beside it with what was typed kept, changes both,
//! and the API then holds them as entered.

use reqwest::Method;
use serde_json::Value;

use crate::both;
use crate::console::Console;
use crate::helpers::{TestApp, read};

both!(
    a_dispatcher_adds_and_changes_a_site,
    a_dispatcher_adds_and_changes_a_vehicle,
);

/// A registry record as the dispatcher's API shows it.
async fn shown(app: &TestApp, path: &str) -> Value {
    let token = app.dispatcher_token().await;
    let (status, value) = read(app.dispatcher(Method::GET, path, Some(&token), None).await).await;
    assert_eq!(status, 200, "{value}");
    value
}

/// The refused form's page names `field` beside its input and keeps `typed`.
fn refused_at(status: u16, html: &str, field: &str, typed: &str) {
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains(&format!("id=\"{field}-error\"")),
        "{field}: {html}"
    );
    assert!(
        html.contains(&format!("aria-describedby=\"{field}-error\"")),
        "{field} described by its error"
    );
    assert!(html.contains(&format!("value=\"{typed}\"")), "{typed} kept");
}

async fn a_dispatcher_adds_and_changes_a_site(app: &TestApp) {
    let mut console = Console::sign_in(app).await;
    let station = app.station_id;
    let (status, form) = console
        .get(&format!("/console/stations/{station}/sites/new"))
        .await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"kind\" value=\"community\" checked"));
    // The form's fields; an unticked box is not sent at all.
    let site = |name: &'static str, lat: &'static str, active: bool| {
        let mut fields = vec![
            ("kind", "village"),
            ("name", name),
            ("district", "荆州区"),
            ("township", "川店镇"),
            ("address", "柳林村村委会"),
            ("lat", lat),
            ("lon", "112.05"),
            ("contact_name", "王主任"),
            ("contact_phone", "13912345678"),
        ];
        if active {
            fields.push(("active", "yes"));
        }
        fields
    };
    let create = format!("/console/stations/{station}/sites");
    // A latitude that is no number, then one off the globe: the form again, nothing stored.
    let (status, _, html) = console
        .post(&create, &site("  柳林村 ", "north", true))
        .await;
    refused_at(status, &html, "lat", "north");
    let (status, _, html) = console.post(&create, &site("  柳林村 ", "95", true)).await;
    refused_at(status, &html, "lat", "95");
    let (_, list) = console
        .get(&format!("/console/stations/{station}/sites?q=柳林"))
        .await;
    assert!(!list.contains("柳林村"), "nothing stored by a refused form");

    let (status, location, _) = console
        .post(&create, &site("  柳林村 ", "30.41", true))
        .await;
    assert_eq!((status, location), (303, format!("{create}?done=saved")));
    let (status, list) = console.get(&format!("{create}?done=saved&q=柳林")).await;
    assert_eq!(status, 200);
    assert!(list.contains("role=\"status\""), "the list says it saved");
    let marker = "href=\"/console/sites/";
    let at = list.find(marker).expect("an edit link") + marker.len();
    let id: i64 = list[at..at + list[at..].find('"').unwrap()]
        .parse()
        .unwrap();
    let stored = shown(app, &format!("/api/v1/sites/{id}")).await;
    assert_eq!(stored["name"], "柳林村", "trimmed");
    assert_eq!(stored["kind"], "village");
    assert_eq!(stored["lat"], 30.41);
    assert_eq!(stored["contact_phone"], "+8613912345678");
    assert_eq!(stored["active"], true);

    // Its form holds what was stored; a change keeps the rest.
    let (status, form) = console.get(&format!("/console/sites/{id}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("value=\"川店镇\"") && form.contains("value=\"30.41\""));
    let changed = site("柳林村二组", "30.42", false);
    let (status, location, _) = console
        .post(&format!("/console/sites/{id}"), &changed)
        .await;
    assert_eq!((status, location), (303, format!("{create}?done=saved")));
    let stored = shown(app, &format!("/api/v1/sites/{id}")).await;
    assert_eq!(stored["name"], "柳林村二组");
    assert_eq!(stored["lat"], 30.42);
    assert_eq!(
        stored["active"], false,
        "an unticked box takes it out of use"
    );
    assert_eq!(stored["township"], "川店镇");

    // An unknown site, a forged form.
    let (status, _, _) = console.post("/console/sites/999999999", &changed).await;
    assert_eq!(status, 404);
    console.csrf = "forged".into();
    let (status, _, _) = console
        .post(&create, &site("柳林村三组", "30.4", true))
        .await;
    assert_eq!(status, 403);
}

/// The station's vehicle named `name`, as the dispatcher's API shows it.
async fn vehicle_named(app: &TestApp, name: &str) -> Option<Value> {
    let fleet = shown(
        app,
        &format!("/api/v1/vehicles?station_id={}", app.station_id),
    )
    .await;
    fleet
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .cloned()
}

async fn a_dispatcher_adds_and_changes_a_vehicle(app: &TestApp) {
    let console = Console::sign_in(app).await;
    let station = app.station_id;
    let (status, form) = console
        .get(&format!("/console/stations/{station}/vehicles/new"))
        .await;
    assert_eq!(status, 200);
    assert!(
        form.contains("value=\"07:30\""),
        "a new vehicle's shift offered"
    );
    let vehicle = |beds: &'static str, shift_start: &'static str, kinds: &[&'static str]| {
        let mut fields = vec![
            ("name", "采血车 9 号"),
            ("plate", "鄂D·B9999"),
            ("beds", beds),
            ("donors_per_day", "48"),
            ("shift_start", shift_start),
            ("shift_end", "16:00"),
            ("active", "yes"),
        ];
        fields.extend(kinds.iter().map(|kind| (*kind, "yes")));
        fields
    };
    let create = format!("/console/stations/{station}/vehicles");
    let both_kinds = ["kind_whole_blood", "kind_platelets"];
    // No time, no whole number of beds, beds past the service's bound, no kind at all.
    let (status, _, html) = console
        .post(&create, &vehicle("4", "8h", &both_kinds))
        .await;
    refused_at(status, &html, "shift_start", "8h");
    let (status, _, html) = console
        .post(&create, &vehicle("four", "08:00", &both_kinds))
        .await;
    refused_at(status, &html, "beds", "four");
    let (status, _, html) = console
        .post(&create, &vehicle("51", "08:00", &both_kinds))
        .await;
    refused_at(status, &html, "beds", "51");
    let (status, _, html) = console.post(&create, &vehicle("4", "08:00", &[])).await;
    assert_eq!(status, 400);
    assert!(
        html.contains("class=\"error\""),
        "the kinds' message: {html}"
    );
    assert!(vehicle_named(app, "采血车 9 号").await.is_none());

    let (status, location, _) = console
        .post(&create, &vehicle("4", "08:00", &both_kinds))
        .await;
    assert_eq!((status, location), (303, format!("{create}?done=saved")));
    let stored = vehicle_named(app, "采血车 9 号").await.expect("stored");
    assert_eq!(stored["beds"], 4);
    assert_eq!(stored["shift_start"], "08:00:00");
    assert_eq!(
        stored["kinds"],
        serde_json::json!(["platelets", "whole_blood"])
    );
    let id = stored["id"].as_i64().unwrap();

    // Its form shows the ticked kinds; a change to plasma alone and a shift that ends first.
    let (status, form) = console.get(&format!("/console/vehicles/{id}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"kind_platelets\" value=\"yes\" checked"));
    assert!(!form.contains("name=\"kind_plasma\" value=\"yes\" checked"));
    let edit = format!("/console/vehicles/{id}");
    let (status, _, html) = console
        .post(&edit, &vehicle("6", "17:00", &["kind_plasma"]))
        .await;
    refused_at(status, &html, "shift_end", "16:00");
    let (status, location, _) = console
        .post(&edit, &vehicle("6", "07:00", &["kind_plasma"]))
        .await;
    assert_eq!((status, location), (303, format!("{create}?done=saved")));
    let stored = vehicle_named(app, "采血车 9 号").await.expect("kept");
    assert_eq!(stored["id"], id);
    assert_eq!(stored["beds"], 6);
    assert_eq!(stored["kinds"], serde_json::json!(["plasma"]));
    let (status, _, _) = console
        .post(
            "/console/vehicles/999999999",
            &vehicle("6", "07:00", &["kind_plasma"]),
        )
        .await;
    assert_eq!(status, 404);
}
