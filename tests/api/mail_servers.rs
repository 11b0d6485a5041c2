//! Real servers for notice tests: an SMTP server (mailin-embedded, in this process) that keeps
//! what it receives, and an HTTP stand-in for an SMS gateway that can fail on purpose.

use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use serde_json::Value;

/// Mail received by the SMTP server: the raw messages, in order.
#[derive(Clone, Default)]
pub struct Inbox {
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Each message's DATA is answered after this long (a slow server).
    delay: Arc<Mutex<Duration>>,
}

#[derive(Clone)]
struct SmtpHandler {
    inbox: Inbox,
    current: Vec<u8>,
}

impl Handler for SmtpHandler {
    fn data_start(&mut self, _domain: &str, _from: &str, _8bit: bool, _to: &[String]) -> Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = *self.inbox.delay.lock().unwrap();
        std::thread::sleep(delay);
        self.inbox
            .messages
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        response::OK
    }

    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }
}

impl Inbox {
    /// Starts an SMTP server on `listener` (plain, no TLS) in a thread of its own.
    pub fn serve(listener: TcpListener) -> Inbox {
        let inbox = Inbox::default();
        let handler = SmtpHandler {
            inbox: inbox.clone(),
            current: Vec::new(),
        };
        std::thread::spawn(move || {
            let mut server = Server::new(handler);
            server
                .with_name("smtp.test")
                .with_ssl(SslConfig::None)
                .expect("no TLS")
                .with_num_threads(64)
                .with_tcp_listener(listener);
            let _ = server.serve();
        });
        inbox
    }

    /// A server on a free port; returns it and its `smtp://` URL.
    pub fn start() -> (Inbox, String) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        (Inbox::serve(listener), url)
    }

    pub fn slow_down(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.messages.lock().unwrap().len()
    }

    /// The Message-ID of every message received, in order.
    pub fn message_ids(&self) -> Vec<String> {
        self.messages()
            .iter()
            .map(|raw| {
                let parsed = mailparse::parse_mail(raw).expect("a mail");
                header(&parsed, "Message-ID")
            })
            .collect()
    }
}

/// A header's value ("" when absent).
pub fn header(mail: &mailparse::ParsedMail, name: &str) -> String {
    use mailparse::MailHeaderMap;
    mail.headers.get_first_value(name).unwrap_or_default()
}

/// The body of the first part of `mime` type in a mail (decoded), if any.
pub fn part(mail: &mailparse::ParsedMail, mime: &str) -> Option<String> {
    if mail.ctype.mimetype == mime {
        return mail.get_body().ok();
    }
    mail.subparts.iter().find_map(|p| part(p, mime))
}

/// Requests the SMS stand-in received, and how many more it answers with a 500.
#[derive(Clone, Default)]
pub struct Gateway {
    requests: Arc<Mutex<Vec<Value>>>,
    failures_left: Arc<AtomicUsize>,
}

impl Gateway {
    /// Starts the stand-in on a free port; returns it and its URL.
    pub async fn start() -> (Gateway, String) {
        let gateway = Gateway::default();
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}/sms", listener.local_addr().unwrap());
        let state = gateway.clone();
        let server = HttpServer::new(move || {
            let state = state.clone();
            App::new().route(
                "/sms",
                web::post().to(move |body: web::Json<Value>| {
                    let state = state.clone();
                    async move {
                        let failing = state
                            .failures_left
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        if failing {
                            return HttpResponse::InternalServerError().body("down on purpose");
                        }
                        state.requests.lock().unwrap().push(body.into_inner());
                        HttpResponse::Ok().json(serde_json::json!({"accepted": true}))
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        (gateway, url)
    }

    pub fn fail_next(&self, n: usize) {
        self.failures_left.store(n, Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}
