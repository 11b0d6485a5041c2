//! The eligibility rules, public: each with its stable code, what it checks in zh-CN and en,
//! the document it comes from and the donation days it applies to.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::db::registry;
use crate::domain::eligibility::{Rule, RuleBook, RuleKind, Source, describe_rule};
use crate::domain::language::Language;
use crate::station::Station;

/// What a rule checks, in each language.
#[derive(Debug, Serialize, ToSchema)]
pub struct Description {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
}

/// One rule, or one era of a rule: refusals name it by `code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    /// Stable code, as in a refusal's `rule`; eras of one rule share it.
    pub code: &'static str,
    pub description: Description,
    pub source: Source,
    /// First donation day it applies to.
    #[schema(value_type = String, format = Date)]
    pub effective_from: NaiveDate,
    /// Last donation day it applies to, when superseded or ended.
    #[schema(value_type = Option<String>, format = Date)]
    pub effective_until: Option<NaiveDate>,
    /// Set by the station (its plasma policy) rather than a national text.
    pub station_policy: bool,
    /// Its numbers, e.g. `{"min_interval": {"previous": ["whole_blood"], "next":
    /// ["whole_blood"], "wait": {"months": 6}}}`.
    pub check: RuleKind,
}

impl From<&Rule> for RuleView {
    fn from(rule: &Rule) -> RuleView {
        RuleView {
            code: rule.id,
            description: Description {
                zh_cn: describe_rule(&rule.check, Language::ZhCn),
                en: describe_rule(&rule.check, Language::En),
            },
            source: rule.source,
            effective_from: rule.effective_from,
            effective_until: rule.effective_until,
            station_policy: rule.station_policy,
            check: rule.check.clone(),
        }
    }
}

/// The rules a station applies.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    /// The station asked for; `null`: a station with the default settings (no plasma).
    pub station_id: Option<i64>,
    pub rules: Vec<RuleView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RulesQuery {
    /// The station whose plasma policy to include; without it, the default settings.
    pub station_id: Option<i64>,
}

/// Every eligibility rule, past eras included, with its code, source and dates.
#[utoipa::path(
    operation_id = "list_eligibility_rules", tag = "eligibility", params(RulesQuery),
    responses((status = 200, body = RuleList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/eligibility/rules")]
pub async fn rules(
    state: web::Data<AppState>,
    query: web::Query<RulesQuery>,
) -> Result<HttpResponse, ApiError> {
    let station_id = query.into_inner().station_id;
    let book = match station_id {
        None => RuleBook::default(),
        Some(id) => {
            let row = state
                .db
                .run(move |conn| registry::find_station(conn, id).map_err(ApiError::from))
                .await?
                .ok_or_else(|| ApiError::not_found("station", "station_id", id))?;
            Station::from_row(&row)
                .map_err(|e| {
                    tracing::error!(error = %e, "station unreadable");
                    ApiError::internal()
                })?
                .rule_book()
        }
    };
    Ok(HttpResponse::Ok().json(RuleList {
        station_id,
        rules: book.rules.iter().map(RuleView::from).collect(),
    }))
}
