//! Builds the HTTP server in one place, so tests run the very same app on a random port.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{App, HttpServer, web};

use crate::api::{self, AppState};

/// The server on an already bound listener (port 0 in tests).
pub fn server(
    state: AppState,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(Logger::new("%r %s %Dms").log_target("bloodmobile::http"))
            .app_data(data.clone())
            .configure(api::configure)
    })
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}
