//! Stand-ins for the mail relay and the SMS gateway: they accept everything and count each
//! message by its id (the mail's Message-ID, the text's `out_id`), as a receiver that drops
//! repeats would.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// How often each id arrived.
#[derive(Clone, Default)]
pub struct Received(Arc<Mutex<HashMap<String, u32>>>);

impl Received {
    fn add(&self, id: String) {
        *self.0.lock().unwrap().entry(id).or_default() += 1;
    }

    pub fn counts(&self) -> HashMap<String, u32> {
        self.0.lock().unwrap().clone()
    }

    /// Messages received, repeats included.
    pub fn total(&self) -> usize {
        self.0.lock().unwrap().values().map(|&n| n as usize).sum()
    }
}

#[derive(Clone)]
struct Mailbox {
    received: Received,
    message: Vec<u8>,
}

impl Handler for Mailbox {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.message.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.message.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let text = String::from_utf8_lossy(&self.message);
        let id = text.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("message-id").then(|| {
                value
                    .trim()
                    .trim_start_matches('<')
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
        });
        self.received
            .add(id.unwrap_or_else(|| "(no Message-ID)".into()));
        response::OK
    }
}

/// An SMTP server on a free port; returns its URL. A thread per connection, and the workers
/// keep pools of open connections: enough threads for all of them.
pub fn smtp_server(received: Received) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut server = Server::new(Mailbox {
            received,
            message: Vec::new(),
        });
        server
            .with_name("smtp.bloodmobile.test")
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_num_threads(512)
            .with_tcp_listener(listener);
        let _ = server.serve();
    });
    url
}

/// The SMS webhook stand-in on a free port; returns its URL.
pub fn webhook(received: Received) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let received = received.clone();
                App::new().route(
                    "/sms",
                    web::post().to(move |body: web::Json<serde_json::Value>| {
                        let id = body["out_id"].as_str().unwrap_or("(no out_id)").to_string();
                        received.add(id);
                        async { HttpResponse::Ok().json(serde_json::json!({"status": "queued"})) }
                    }),
                )
            })
            .workers(1)
            .listen(listener)
            .expect("listen")
            .run()
            .await
        })
    });
    url
}
