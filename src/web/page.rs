//! What every page shares: the language (from `?lang=`, then the `lang` cookie, else zh-CN),
//! its words and formats, the rendering of a template into a response, and the error page.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};

use super::words::{EN, Words, ZH};
use crate::domain::language::Language;

/// The cookie that keeps the language a visitor chose.
pub const LANGUAGE_COOKIE: &str = "lang";

/// The language asked for in the query (`?lang=en`, `?lang=zh-CN`), if any.
pub fn asked_language(req: &HttpRequest) -> Option<Language> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "lang")
        .and_then(|(_, value)| match value.as_ref() {
            "en" => Some(Language::En),
            "zh" | "zh-CN" => Some(Language::ZhCn),
            _ => None,
        })
}

/// The page's language: asked for, else kept in the cookie, else Chinese.
pub fn language(req: &HttpRequest) -> Language {
    asked_language(req)
        .or_else(|| {
            req.cookie(LANGUAGE_COOKIE)
                .and_then(|c| Language::parse(c.value()))
        })
        .unwrap_or_default()
}

/// The signed-in dispatcher, for the console's header.
#[derive(Debug, Clone)]
pub struct Operator {
    pub username: String,
    /// The token every form of the session carries.
    pub csrf: String,
}

/// The frame of every page: language, words, the link to the other language.
pub struct Ui {
    pub lang: Language,
    pub t: &'static Words,
    /// This page in the other language.
    pub switch_href: String,
    pub switch_lang: &'static str,
    /// Set on console pages.
    pub operator: Option<Operator>,
}

impl Ui {
    pub fn new(req: &HttpRequest) -> Ui {
        let lang = language(req);
        let other = lang.pick(Language::En, Language::ZhCn);
        let mut query: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .filter(|(key, _)| key != "lang" && key != "t" && key != "done")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        // A manage page keeps its token in the link to the other language.
        if let Some(token) =
            url::form_urlencoded::parse(req.query_string().as_bytes()).find(|(key, _)| key == "t")
        {
            query.push(("t".into(), token.1.into_owned()));
        }
        query.push(("lang".into(), other.as_str().into()));
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        Ui {
            lang,
            t: lang.pick(&ZH, &EN),
            switch_href: format!("{}?{encoded}", req.path()),
            switch_lang: other.as_str(),
            operator: None,
        }
    }

    pub fn console(mut self, operator: Operator) -> Ui {
        self.operator = Some(operator);
        self
    }

    /// The session's form token (empty off the console).
    pub fn csrf(&self) -> &str {
        self.operator.as_ref().map_or("", |o| o.csrf.as_str())
    }

    pub fn lang_tag(&self) -> &'static str {
        self.lang.as_str()
    }

    /// "12月3日 周四" or "Thu 3 Dec".
    pub fn day(&self, date: &NaiveDate) -> String {
        const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
        match self.lang {
            Language::ZhCn => format!(
                "{}月{}日 周{}",
                date.month(),
                date.day(),
                WEEKDAYS[date.weekday().num_days_from_monday() as usize]
            ),
            Language::En => date.format("%a %-d %b").to_string(),
        }
    }

    /// "08:45".
    pub fn time(&self, at: &DateTime<FixedOffset>) -> String {
        format!("{:02}:{:02}", at.hour(), at.minute())
    }

    /// "08:45–10:30".
    pub fn span(&self, from: &DateTime<FixedOffset>, to: &DateTime<FixedOffset>) -> String {
        format!("{}–{}", self.time(from), self.time(to))
    }

    /// A window's name as donors say it.
    pub fn window(&self, name: &str) -> String {
        match (name, self.lang) {
            ("morning", Language::ZhCn) => "上午".into(),
            ("afternoon", Language::ZhCn) => "下午".into(),
            ("evening", Language::ZhCn) => "晚上".into(),
            _ => name.to_string(),
        }
    }

    /// A donation kind in words.
    pub fn kind(&self, kind: &str) -> &'static str {
        match (kind, self.lang) {
            ("whole_blood", Language::ZhCn) => "全血",
            ("platelets", Language::ZhCn) => "单采血小板",
            ("plasma", Language::ZhCn) => "单采血浆",
            ("whole_blood", Language::En) => "whole blood",
            ("platelets", Language::En) => "platelets (apheresis)",
            ("plasma", Language::En) => "plasma (apheresis)",
            _ => "?",
        }
    }

    /// An ABO/Rh type, or "don't know".
    pub fn blood_type<'a>(&self, blood_type: &'a str) -> &'a str {
        if blood_type == "unknown" {
            self.t.blood_type_unknown
        } else {
            blood_type
        }
    }

    /// A site kind in words.
    pub fn site_kind(&self, kind: &str) -> &'static str {
        if kind == "village" {
            self.t.village
        } else {
            self.t.community
        }
    }

    /// "3 个名额" or "3 seats".
    pub fn seats(&self, n: &u32) -> String {
        match (self.lang, n) {
            (Language::ZhCn, n) => format!("剩 {n} 个名额"),
            (Language::En, 1) => "1 seat left".into(),
            (Language::En, n) => format!("{n} seats left"),
        }
    }

    /// "25 分钟" or "25 min".
    pub fn minutes(&self, n: &i64) -> String {
        self.lang.pick(format!("{n} 分钟"), format!("{n} min"))
    }
}

/// Renders a page with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            PageError::Internal.error_response()
        }
    }
}

/// A page's `200 OK`.
pub fn ok(page: &impl Template) -> HttpResponse {
    render(StatusCode::OK, page)
}

/// Sends the browser on to `location` after a form (303: it fetches it with GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Why a page could not be shown; rendered as a page in both languages (the request's
/// language is not known where this is rendered).
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    #[error("the database is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
    /// Not signed in: to the sign-in page, then back to `next`.
    #[error("sign in first")]
    SignIn { next: String },
    #[error("forbidden")]
    Forbidden,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    zh: (&'static str, &'static str),
    en: (&'static str, &'static str),
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Forbidden => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::SignIn { next } = self {
            let next = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
            return see_other(&format!("/console/sign-in?next={next}"));
        }
        let (zh, en) = match self {
            PageError::NotFound => (
                (ZH.not_found_title, ZH.not_found_text),
                (EN.not_found_title, EN.not_found_text),
            ),
            PageError::Forbidden => (
                (ZH.error_title, ZH.csrf_failed),
                (EN.error_title, EN.csrf_failed),
            ),
            _ => (
                (ZH.error_title, ZH.unavailable_text),
                (EN.error_title, EN.unavailable_text),
            ),
        };
        let page = ErrorPage {
            status: self.status_code().as_u16(),
            zh,
            en,
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, PageError::Unavailable) {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response
            .content_type(ContentType::html())
            .body(page.render().unwrap_or_else(|_| "error".into()))
    }
}

impl From<crate::db::DbError> for PageError {
    fn from(e: crate::db::DbError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "a page's database is unavailable");
            PageError::Unavailable
        } else {
            tracing::error!(error = %e, "a page's database work failed");
            PageError::Internal
        }
    }
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> Self {
        PageError::from(crate::db::DbError::Query(e))
    }
}

impl From<crate::dispatch::DispatchError> for PageError {
    fn from(e: crate::dispatch::DispatchError) -> Self {
        use crate::dispatch::DispatchError;
        match e {
            DispatchError::NotFound { .. } | DispatchError::NoPlan => PageError::NotFound,
            DispatchError::Db(e) => PageError::from(e),
            other => {
                tracing::error!(error = %other, "dispatch work of a page failed");
                PageError::Internal
            }
        }
    }
}

/// A page for paths nothing serves.
pub async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound)
}
