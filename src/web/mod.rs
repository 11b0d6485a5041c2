//! Pages for donors and dispatchers, rendered on the server from the same services as the API
//! (no second copy of a rule), with every asset embedded in the binary.

pub mod assets;
pub mod console;
pub mod donor;
pub mod form;
pub mod page;
pub mod security;
pub mod words;

use actix_web::web;

/// Mounts the pages and their assets.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::stylesheet)
        .service(assets::print_script)
        .service(donor::find::start)
        .service(donor::find::site)
        .service(donor::book::book_form)
        .service(donor::book::submit)
        .service(donor::book::waitlist_submit)
        .service(donor::manage::show)
        .service(donor::manage::confirm_cancel)
        .service(donor::manage::reschedule)
        .service(donor::manage::cancel);
    console::configure(cfg);
}
