//! Builds the HTTP server in one place, so tests run the very same app on a random port.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpResponse, HttpServer};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api::{self, AppState, limits};
use crate::web::{self as pages, security};

/// The server on an already bound listener (port 0 in tests).
pub fn server(
    state: AppState,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let cors_origins = state.cors_origins.clone();
    let data = actix_web::web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(limits::rate_limit))
            .wrap(Condition::new(
                !cors_origins.is_empty(),
                cors(&cors_origins),
            ))
            .wrap(from_fn(security::remember_language))
            .wrap(from_fn(security::docs_policy))
            .wrap(security::headers())
            // Outermost: the request id and the access log cover everything inside.
            .wrap(from_fn(api::observe::observe))
            .app_data(data.clone())
            .configure(api::configure)
            .service(
                SwaggerUi::new("/api/docs/{_:.*}").config(Config::new(["/api/v1/openapi.json"])),
            )
            .route(
                "/api/docs",
                actix_web::web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/api/docs/"))
                        .finish()
                }),
            )
            .configure(pages::configure)
            .default_service(actix_web::web::to(fallback))
    })
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}

/// Lets scripts on the configured origins call the API (only those; none by default).
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers(["Authorization", "Content-Type", "Idempotency-Key"])
        .max_age(3600)
}

/// A request no route took (outside `/api/v1`, which has its own): a path of the API's
/// document, such as `/healthz`, asked with another method is a 405; any other path gets the
/// pages' 404.
async fn fallback(req: actix_web::HttpRequest) -> actix_web::Result<HttpResponse> {
    if let Some(methods) = api::openapi::declared_methods(req.path()) {
        return Ok(api::method_not_allowed(&req, &methods));
    }
    Ok(pages::page::not_found().await?)
}
