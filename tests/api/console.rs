//! The dispatcher's console over plain HTTP: its cookies and form tokens, and a signed-in
//! session that gets pages and posts forms as the browser would.

use crate::helpers::{DISPATCHER, DISPATCHER_PASSWORD, TestApp};

/// The `name=value` of a response's `Set-Cookie` for `name`.
pub fn cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no cookie {name}"))
}

/// The value of the hidden `csrf` field of a page.
pub fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).expect("a csrf field") + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// A client that does not follow redirects, the dispatcher's account, and the sign-in form
/// at `path`: its cookie and its `csrf` field.
pub async fn open_sign_in_form(app: &TestApp, path: &str) -> (reqwest::Client, String, String) {
    let _ = app.dispatcher_token().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(app.url(path)).send().await.unwrap();
    let sign_in_cookie = cookie(&form, "bm_sign_in");
    let token = csrf_field(&form.text().await.unwrap());
    (client, sign_in_cookie, token)
}

/// The dispatcher signed in to the console: the session's cookie and form token.
pub struct Console<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    session: String,
    pub csrf: String,
}

impl<'a> Console<'a> {
    /// Signs in through the sign-in form.
    pub async fn sign_in(app: &'a TestApp) -> Console<'a> {
        let (client, sign_in_cookie, token) = open_sign_in_form(app, "/console/sign-in").await;
        let signed = client
            .post(app.url("/console/sign-in"))
            .header("cookie", &sign_in_cookie)
            .form(&[
                ("username", DISPATCHER),
                ("password", DISPATCHER_PASSWORD),
                ("next", "/console"),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), 303);
        let session = cookie(&signed, "bm_session");
        let mut console = Console {
            app,
            client,
            session,
            csrf: String::new(),
        };
        let (status, home) = console.get("/console").await;
        assert_eq!(status, 200);
        console.csrf = csrf_field(&home);
        console
    }

    /// A page's status and HTML.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let page = self
            .client
            .get(self.app.url(path))
            .header("cookie", &self.session)
            .send()
            .await
            .unwrap();
        (page.status().as_u16(), page.text().await.unwrap())
    }

    /// Posts a form with the session's token: the status, the `Location` if any, the HTML.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut form = fields.to_vec();
        form.push(("csrf", &self.csrf));
        let response = self
            .client
            .post(self.app.url(path))
            .header("cookie", &self.session)
            .form(&form)
            .send()
            .await
            .unwrap();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            response.status().as_u16(),
            location,
            response.text().await.unwrap(),
        )
    }
}
