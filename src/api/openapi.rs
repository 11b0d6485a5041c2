//! The OpenAPI 3 document, generated from the handlers' annotations.

use std::sync::LazyLock;

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    auth, bookings, eligibility, error, health, notices, plans, sites, stations, vehicles,
};
use crate::booking;

#[derive(OpenApi)]
#[openapi(
    info(title = "bloodmobile", description = "Door-to-door blood collection: bookings by community or village, bloodmobile routes."),
    paths(
        health::healthz, health::readyz,
        auth::create_token, auth::revoke_token,
        sites::list, sites::show, sites::availability, sites::create, sites::update,
        bookings::create, bookings::show, bookings::reschedule, bookings::cancel,
        bookings::waitlist, bookings::outcome, bookings::cancel_by_station,
        notices::list, notices::queue, notices::receipt, notices::resend,
        notices::opt_outs, notices::add_opt_out, notices::remove_opt_out,
        eligibility::rules,
        plans::create_plan, plans::show, plans::change, plans::publish, plans::csv, plans::geojson,
        plans::calendar,
        stations::list, stations::show, stations::create, stations::update,
        vehicles::list, vehicles::create, vehicles::update,
    ),
    components(schemas(
        error::ErrorBody, error::ErrorDetail,
        booking::BookingDetails, booking::SiteSummary, booking::DayAvailability, booking::WindowAvailability,
        crate::station::WindowSpec,
        eligibility::RuleList, eligibility::RuleView, eligibility::Description,
        crate::domain::eligibility::Source, crate::domain::eligibility::RuleKind,
        crate::domain::eligibility::PlasmaPolicy, crate::domain::eligibility::Wait,
        booking::ArrivalWindow, booking::Alternative,
        crate::dispatch::view::PlanView, crate::dispatch::view::RouteView,
        crate::dispatch::view::StopView, crate::dispatch::view::LeftOutView,
        crate::dispatch::view::Totals, crate::dispatch::view::WindowMoves,
    )),
    modifiers(&BearerSchemes, &CommonResponses, &ApiPrefix)
)]
pub struct ApiDoc;

struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer =
            || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("bearer", bearer());
        components.add_security_scheme("manage_token", bearer());
    }
}

/// The answers any operation may give besides its own, so that a client (and a contract
/// test) finds every status it can meet in the document: a bad path or query (400), a
/// dispatcher operation without a valid token (401), a body too large or not JSON (413, 415),
/// a client over its rate (429), the database unreachable (503).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let mut common = vec![
                    ("400", "a path or query parameter that is not valid"),
                    (
                        "429",
                        "too many requests from this address: wait `Retry-After` seconds",
                    ),
                    (
                        "503",
                        "the database is unreachable: try again after `Retry-After` seconds",
                    ),
                ];
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    common.push(("401", "no valid token"));
                }
                if operation.request_body.is_some() {
                    common.push(("413", "the body is larger than 64 KiB"));
                    common.push(("415", "the body is not `application/json`"));
                }
                let responses = &mut operation.responses.responses;
                for (status, description) in common {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| error(description));
                }
            }
        }
    }
}

/// Handlers are declared relative to `/api/v1`; health checks live at the root.
struct ApiPrefix;

impl Modify for ApiPrefix {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let paths = std::mem::take(&mut openapi.paths.paths);
        openapi.paths.paths = paths
            .into_iter()
            .map(|(path, item)| match path.as_str() {
                "/healthz" | "/readyz" => (path, item),
                _ => (format!("/api/v1{path}"), item),
            })
            .collect();
    }
}

/// A path template of the document as segments, `None` standing for a `{parameter}`.
type Template = Vec<Option<String>>;

/// Every path of the document with the methods it declares.
static DECLARED: LazyLock<Vec<(Template, Vec<&'static str>)>> = LazyLock::new(|| {
    ApiDoc::openapi()
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let template = path
                .split('/')
                .map(|segment| (!segment.starts_with('{')).then(|| segment.to_string()))
                .collect();
            let operations = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
                ("HEAD", &item.head),
                ("OPTIONS", &item.options),
                ("TRACE", &item.trace),
            ];
            let methods = operations
                .into_iter()
                .filter(|(_, operation)| operation.is_some())
                .map(|(method, _)| method)
                .collect();
            (template, methods)
        })
        .collect()
});

/// The methods the document declares for a concrete path, if it has the path at all.
pub fn declared_methods(path: &str) -> Option<Vec<&'static str>> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut methods: Vec<&'static str> = DECLARED
        .iter()
        .filter(|(template, _)| {
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| match t {
                    Some(literal) => literal == s,
                    None => !s.is_empty(),
                })
        })
        .flat_map(|(_, methods)| methods.iter().copied())
        .collect();
    methods.sort_unstable();
    methods.dedup();
    (!methods.is_empty()).then_some(methods)
}

/// This document.
#[get("/openapi.json")]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_unique_id_and_paths_carry_the_api_prefix() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut ids = Vec::new();
        for (path, item) in paths {
            assert!(
                path.starts_with("/api/v1/") || path == "/healthz" || path == "/readyz",
                "{path}"
            );
            for (_, operation) in item.as_object().unwrap() {
                ids.push(operation["operationId"].as_str().unwrap().to_string());
            }
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate operationId");
        assert!(count >= 20);
    }

    #[test]
    fn a_concrete_path_finds_the_methods_its_template_declares() {
        assert_eq!(
            declared_methods("/api/v1/sites/42"),
            Some(vec!["GET", "PATCH"])
        );
        assert_eq!(declared_methods("/api/v1/sites"), Some(vec!["GET", "POST"]));
        assert_eq!(declared_methods("/healthz"), Some(vec!["GET"]));
        assert_eq!(
            declared_methods("/api/v1/sites/"),
            None,
            "an empty id is no path"
        );
        assert_eq!(declared_methods("/api/v1/nowhere"), None);
        assert_eq!(declared_methods("/sites/42"), None, "pages are not the API");
    }
}
