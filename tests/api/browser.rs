//! The pages in a real browser: Debian's headless Chromium driven over WebDriver (chromedriver,
//! one per test). A screenshot of every page is saved under `target/screenshots/`. Without
//! chromedriver the tests print a note and pass, unless `CI=true`, where they fail.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{Backend, TestApp};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A browser window on the app: its driver process and profile go with it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
    name: String,
    shots: usize,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A window of `width` × `height` for the test `name`; `None` (a skip, printed) when this
    /// machine has no chromedriver and `CI` is not `true`.
    pub async fn open(app: &TestApp, name: &str, width: u32, height: u32) -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but {CHROMEDRIVER} is missing: install chromium and chromium-driver"
            );
            eprintln!("note: {CHROMEDRIVER} is missing; browser test {name} skipped");
            return None;
        }
        let port = free_port();
        // A process group of its own, so that the browser it starts goes with it.
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let profile = std::env::temp_dir().join(format!(
            "bloodmobile-chromium-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=en-US",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        // Several TLS back-ends are linked in; the driver is plain HTTP, any will do.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let started = Instant::now();
        let client = loop {
            let connected = ClientBuilder::rustls()
                .expect("a WebDriver client")
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match connected {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver did not answer: {e}"),
            }
        };
        client
            .set_window_size(width, height)
            .await
            .expect("size the window");
        let backend = match app.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        Some(Browser {
            client,
            driver,
            profile,
            name: format!("{name}-{backend}"),
            shots: 0,
            base: app.address.clone(),
        })
    }

    pub async fn go(&mut self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// Saves a screenshot of the page as `target/screenshots/<test>-<n>-<label>.png`.
    pub async fn shot(&mut self, label: &str) {
        self.shots += 1;
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        let path = dir.join(format!("{}-{:02}-{label}.png", self.name, self.shots));
        std::fs::write(path, png).expect("save a screenshot");
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("a query")
            .is_empty()
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("a query")
            .len()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// Waits (10 s at most) until the element's text contains `needle`: after a click, the
    /// page it leads to may not have replaced this one yet.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let found = self.client.find(Locator::Css(css)).await;
            if let Ok(element) = found
                && let Ok(text) = element.text().await
                && text.contains(needle)
            {
                return text;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no {css} saying {needle:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear a field");
        field.send_keys(text).await.expect("type");
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    /// The page's path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits (10 s at most) until the page's path and query start with `prefix`: a click
    /// returns before the page it leads to has loaded.
    pub async fn wait_for_path(&self, prefix: &str) -> String {
        let started = Instant::now();
        loop {
            let path = self.path().await;
            if path.starts_with(prefix) {
                return path;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "still at {path}, not {prefix}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Keys sent to whatever has the focus, as a keyboard would.
    pub async fn press(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("the focused element")
            .send_keys(keys)
            .await
            .expect("keys");
    }

    /// The id of the focused element.
    pub async fn focused_id(&self) -> String {
        self.client
            .active_element()
            .await
            .expect("the focused element")
            .attr("id")
            .await
            .expect("its id")
            .unwrap_or_default()
    }

    /// Presses Tab until the element with `id` has the focus (at most 40 times).
    pub async fn tab_to(&self, id: &str) {
        let mut seen = Vec::new();
        for _ in 0..40 {
            let focused = self.focused_id().await;
            if focused == id {
                return;
            }
            seen.push(focused);
            self.press(&key(Key::Tab)).await;
        }
        panic!("Tab never reached #{id}; it went through {seen:?}");
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// Ends the driver and its browser (also when a test fails half-way), and the profile.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A special key as the text WebDriver sends.
pub fn key(key: Key) -> String {
    char::from(key).to_string()
}
