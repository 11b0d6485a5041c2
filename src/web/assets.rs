//! The pages' one stylesheet, compiled into the binary (no CDN: stations may be offline).

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, get};

const SITE_CSS: &str = include_str!("assets/site.css");
const PRINT_JS: &str = include_str!("assets/print.js");

#[get("/assets/site.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(SITE_CSS)
}

/// The run sheet's print button.
#[get("/assets/print.js")]
pub async fn print_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(PRINT_JS)
}
