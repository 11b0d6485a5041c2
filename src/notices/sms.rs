//! Text messages through an HTTP gateway: a generic JSON webhook, or the shapes of Alibaba
//! Cloud and Tencent Cloud `SendSms` (an approved template and its parameters, the notice's
//! correlation id in `OutId` / `SessionContext`); or `.json` files in a folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::NoticeKind;
use super::content::Message;
use super::settings::{NoticeSettings, SmsProvider};
use super::templates::Rendered;
use super::worker::SendError;
use crate::db::notices::NoticeRow;

/// No answer within this is a failure to retry.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where text messages go.
pub enum Gateway {
    Http {
        client: reqwest::Client,
        url: String,
        provider: SmsProvider,
        key_id: String,
        key_secret: String,
        sign_name: String,
        app_id: String,
        /// The provider's approved template code per notice kind.
        templates: HashMap<NoticeKind, String>,
    },
    Folder {
        dir: PathBuf,
    },
}

fn transient(message: String) -> SendError {
    SendError {
        permanent: false,
        message,
    }
}

/// Writes `body` to `dir/name`, whole or not at all (a temporary file renamed).
pub async fn write_file(dir: &Path, name: &str, body: &[u8]) -> Result<(), SendError> {
    let failed = |e: std::io::Error| transient(format!("{}: {e}", dir.display()));
    actix_web::rt::task::spawn_blocking({
        let (dir, name, body) = (dir.to_path_buf(), name.to_string(), body.to_vec());
        move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            let temporary = dir.join(format!(".{name}.part"));
            std::fs::write(&temporary, body)?;
            std::fs::rename(temporary, dir.join(name))
        }
    })
    .await
    .map_err(|e| transient(format!("writing a notice file: {e}")))?
    .map_err(failed)
}

/// Reads `kind=CODE,kind=CODE` (e.g. `booking_received=SMS_1234,reminder=SMS_5678`): the
/// template each kind is sent with. A kind not named is sent as its own name.
pub fn parse_templates(text: &str) -> Result<HashMap<NoticeKind, String>, String> {
    let mut templates = HashMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, code) = pair
            .split_once('=')
            .ok_or_else(|| format!("BLOODMOBILE_SMS_TEMPLATES: {pair:?} is not kind=CODE"))?;
        let kind = NoticeKind::parse(kind.trim())
            .ok_or_else(|| format!("BLOODMOBILE_SMS_TEMPLATES: no notice kind {kind:?}"))?;
        templates.insert(kind, code.trim().to_string());
    }
    Ok(templates)
}

impl Gateway {
    pub fn new(settings: &NoticeSettings) -> Result<Gateway, String> {
        Ok(match &settings.sms_url {
            Some(url) => Gateway::Http {
                client: reqwest::Client::builder()
                    .timeout(TIMEOUT)
                    .build()
                    .expect("an HTTP client"),
                url: url.clone(),
                provider: settings.sms_provider,
                key_id: settings.sms_key_id.clone(),
                key_secret: settings.sms_key_secret.clone(),
                sign_name: settings.sms_sign_name.clone(),
                app_id: settings.sms_app_id.clone(),
                templates: parse_templates(&settings.sms_templates)?,
            },
            None => Gateway::Folder {
                dir: settings.notice_dir.clone(),
            },
        })
    }

    /// Sends (or writes) the text message of a notice.
    pub async fn send(
        &self,
        notice: &NoticeRow,
        message: &Message,
        rendered: &Rendered,
        now: DateTime<Utc>,
    ) -> Result<(), SendError> {
        let webhook = webhook_body(notice, message, rendered);
        match self {
            Gateway::Folder { dir } => {
                let name = format!("{:07}-{}-sms.json", notice.id, notice.kind);
                let body = serde_json::to_vec_pretty(&webhook).expect("JSON");
                write_file(dir, &name, &body).await
            }
            Gateway::Http {
                client,
                url,
                provider,
                key_id,
                key_secret,
                sign_name,
                app_id,
                templates,
            } => {
                let template = templates
                    .get(&message.kind)
                    .map_or(message.kind.as_str(), String::as_str);
                let request = match provider {
                    SmsProvider::Webhook => client.post(url).json(&webhook),
                    SmsProvider::Aliyun => {
                        let form = aliyun_form(
                            notice, template, rendered, key_id, key_secret, sign_name, now,
                        );
                        client.post(url).form(&form)
                    }
                    SmsProvider::Tencent => {
                        let body = tencent_body(notice, template, rendered, sign_name, app_id);
                        let text = body.to_string();
                        let headers = tencent_headers(url, &text, key_id, key_secret, now);
                        let mut request = client
                            .post(url)
                            .header("Content-Type", "application/json; charset=utf-8")
                            .body(text);
                        for (name, value) in headers {
                            request = request.header(name, value);
                        }
                        request
                    }
                };
                let response = request
                    .send()
                    .await
                    .map_err(|e| transient(format!("SMS gateway: {e}")))?;
                let status = response.status();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                if !status.is_success() {
                    return Err(transient(format!("SMS gateway answered {status}")));
                }
                accepted(*provider, &body)
            }
        }
    }
}

/// The generic webhook's body (also what the folder keeps).
fn webhook_body(notice: &NoticeRow, message: &Message, rendered: &Rendered) -> Value {
    json!({
        "out_id": notice.out_id,
        "phone": notice.recipient,
        "template": message.kind.as_str(),
        "params": rendered.params,
        "text": rendered.sms,
        "language": message.language.as_str(),
    })
}

/// Provider codes that no retry can change (a bad number, a template or signature the account
/// has no approval for, a number on the provider's block list); others (rate limits, the
/// provider's own faults) are worth another try.
fn refusal_is_permanent(code: &str) -> bool {
    const ALIYUN: [&str; 6] = [
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.INVALID_PARAMETERS",
    ];
    const TENCENT: [&str; 4] = [
        "InvalidParameterValue.",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.SignatureIncorrectOrUnapproved",
    ];
    ALIYUN.contains(&code) || TENCENT.iter().any(|prefix| code.starts_with(prefix))
}

/// Whether the provider's answer says the message was accepted.
fn accepted(provider: SmsProvider, body: &Value) -> Result<(), SendError> {
    let refused = |code: &Value, text: &Value| SendError {
        permanent: refusal_is_permanent(code.as_str().unwrap_or_default()),
        message: format!("SMS gateway refused: {code} {text}"),
    };
    match provider {
        SmsProvider::Webhook => Ok(()),
        SmsProvider::Aliyun => match body["Code"].as_str() {
            Some("OK") => Ok(()),
            _ => Err(refused(&body["Code"], &body["Message"])),
        },
        SmsProvider::Tencent => {
            let response = &body["Response"];
            if !response["Error"].is_null() {
                return Err(refused(
                    &response["Error"]["Code"],
                    &response["Error"]["Message"],
                ));
            }
            match response["SendStatusSet"][0]["Code"].as_str() {
                Some("Ok") => Ok(()),
                _ => Err(refused(
                    &response["SendStatusSet"][0]["Code"],
                    &response["SendStatusSet"][0]["Message"],
                )),
            }
        }
    }
}

/// RFC 3986 percent-encoding, as Alibaba Cloud's signature wants it.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Alibaba Cloud `SendSms` (RPC API, signature version 1.0, HMAC-SHA1).
fn aliyun_form(
    notice: &NoticeRow,
    template: &str,
    rendered: &Rendered,
    key_id: &str,
    key_secret: &str,
    sign_name: &str,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let phone = notice.recipient.trim_start_matches("+86").to_string();
    let mut params: Vec<(String, String)> = vec![
        ("AccessKeyId".into(), key_id.into()),
        ("Action".into(), "SendSms".into()),
        ("Format".into(), "JSON".into()),
        ("OutId".into(), notice.out_id.clone()),
        ("PhoneNumbers".into(), phone),
        ("RegionId".into(), "cn-hangzhou".into()),
        ("SignName".into(), sign_name.into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        // Unique per attempt, as the API asks; the notice is recognised by OutId.
        ("SignatureNonce".into(), crate::booking::new_secret()),
        ("SignatureVersion".into(), "1.0".into()),
        ("TemplateCode".into(), template.into()),
        (
            "TemplateParam".into(),
            serde_json::to_string(&rendered.params).expect("JSON"),
        ),
        (
            "Timestamp".into(),
            now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
        ("Version".into(), "2017-05-25".into()),
    ];
    params.sort();
    let canonical = params
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("POST&{}&{}", percent("/"), percent(&canonical));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{key_secret}&").as_bytes())
        .expect("HMAC takes any key");
    mac.update(to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    params.push(("Signature".into(), signature));
    params
}

/// Tencent Cloud `SendSms` (API 3.0): the template's parameters in order.
fn tencent_body(
    notice: &NoticeRow,
    template: &str,
    rendered: &Rendered,
    sign_name: &str,
    app_id: &str,
) -> Value {
    json!({
        "PhoneNumberSet": [notice.recipient],
        "SmsSdkAppId": app_id,
        "SignName": sign_name,
        "TemplateId": template,
        "TemplateParamSet": rendered.ordered_params(),
        "SessionContext": notice.out_id,
    })
}

fn hmac256(key: &[u8], text: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Tencent Cloud's TC3-HMAC-SHA256 signature headers for a POST of `body` to `url`.
fn tencent_headers(
    url: &str,
    body: &str,
    key_id: &str,
    key_secret: &str,
    now: DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_string(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_default();
    let timestamp = now.timestamp();
    let date = now.format("%Y-%m-%d").to_string();
    let canonical = format!(
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:{host}\n\n\
         content-type;host\n{}",
        hex(&Sha256::digest(body.as_bytes()))
    );
    let scope = format!("{date}/sms/tc3_request");
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let day_key = hmac256(format!("TC3{key_secret}").as_bytes(), &date);
    let service_key = hmac256(&day_key, "sms");
    let signing_key = hmac256(&service_key, "tc3_request");
    let signature = hex(&hmac256(&signing_key, &to_sign));
    vec![
        (
            "Authorization",
            format!(
                "TC3-HMAC-SHA256 Credential={key_id}/{scope}, \
                 SignedHeaders=content-type;host, Signature={signature}"
            ),
        ),
        ("X-TC-Action", "SendSms".into()),
        ("X-TC-Version", "2021-01-11".into()),
        ("X-TC-Timestamp", timestamp.to_string()),
        ("X-TC-Region", "ap-guangzhou".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_is_rfc_3986() {
        assert_eq!(percent("a b*~/"), "a%20b%2A~%2F");
        assert_eq!(percent("荆"), "%E8%8D%86");
    }

    #[test]
    fn templates_are_named_per_kind() {
        let t = parse_templates("booking_received=SMS_1, reminder = SMS_2").unwrap();
        assert_eq!(t[&NoticeKind::BookingReceived], "SMS_1");
        assert_eq!(t[&NoticeKind::Reminder], "SMS_2");
        assert!(parse_templates("").unwrap().is_empty());
        assert!(parse_templates("nonsense=1").is_err());
        assert!(parse_templates("booking_received").is_err());
    }

    #[test]
    fn a_bad_number_is_not_retried_but_a_rate_limit_is() {
        let bad = accepted(
            SmsProvider::Aliyun,
            &json!({"Code": "isv.MOBILE_NUMBER_ILLEGAL"}),
        );
        assert!(bad.unwrap_err().permanent);
        let busy = accepted(
            SmsProvider::Aliyun,
            &json!({"Code": "isv.BUSINESS_LIMIT_CONTROL"}),
        );
        assert!(!busy.unwrap_err().permanent);
        let bad = json!({"Response": {"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber"}]}});
        assert!(accepted(SmsProvider::Tencent, &bad).unwrap_err().permanent);
    }

    #[test]
    fn providers_answers_are_read() {
        assert!(accepted(SmsProvider::Aliyun, &json!({"Code": "OK"})).is_ok());
        assert!(
            accepted(
                SmsProvider::Aliyun,
                &json!({"Code": "isv.BUSINESS_LIMIT_CONTROL"})
            )
            .is_err()
        );
        let ok = json!({"Response": {"SendStatusSet": [{"Code": "Ok"}], "RequestId": "x"}});
        assert!(accepted(SmsProvider::Tencent, &ok).is_ok());
        let error = json!({"Response": {"Error": {"Code": "AuthFailure", "Message": "no"}}});
        assert!(accepted(SmsProvider::Tencent, &error).is_err());
    }

    #[test]
    fn tencent_signature_is_deterministic_and_names_the_credential() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let a = tencent_headers(
            "https://sms.tencentcloudapi.com",
            "{}",
            "AKID",
            "secret",
            now,
        );
        let b = tencent_headers(
            "https://sms.tencentcloudapi.com",
            "{}",
            "AKID",
            "secret",
            now,
        );
        assert_eq!(a, b);
        assert!(
            a[0].1
                .starts_with("TC3-HMAC-SHA256 Credential=AKID/2026-12-01/sms/tc3_request")
        );
        let other = tencent_headers(
            "https://sms.tencentcloudapi.com",
            "{ }",
            "AKID",
            "secret",
            now,
        );
        assert_ne!(a[0].1, other[0].1, "the body is signed");
    }
}
