//! Where notices go: SMTP and an SMS gateway when configured, else files in a folder.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// The shape of the SMS gateway's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmsProvider {
    /// `POST {url}` with `{"out_id", "phone", "template", "params", "text", "language"}`.
    Webhook,
    /// Alibaba Cloud `SendSms` (template code and parameters, `OutId`).
    Aliyun,
    /// Tencent Cloud `SendSms` (template id and parameters, `SessionContext`).
    Tencent,
}

/// Notice settings of `serve` and `worker`: flags, or the environment.
#[derive(Debug, Clone, Args)]
pub struct NoticeSettings {
    /// SMTP server, e.g. `smtp://user:pass@mail.example.org:587?tls=required`,
    /// `smtps://…:465`, or `smtp://127.0.0.1:2525` (plain). Unset: mail goes to the folder.
    #[arg(long, env = "BLOODMOBILE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of notice mail.
    #[arg(
        long,
        env = "BLOODMOBILE_MAIL_FROM",
        default_value = "荆州市中心血站 <noreply@bloodmobile.example.org>"
    )]
    pub mail_from: String,
    /// The SMS gateway's URL. Unset: text messages go to the folder.
    #[arg(long, env = "BLOODMOBILE_SMS_URL")]
    pub sms_url: Option<String>,
    #[arg(
        long,
        env = "BLOODMOBILE_SMS_PROVIDER",
        value_enum,
        default_value = "webhook"
    )]
    pub sms_provider: SmsProvider,
    /// Access key id of the Aliyun or Tencent account.
    #[arg(long, env = "BLOODMOBILE_SMS_KEY_ID", default_value = "")]
    pub sms_key_id: String,
    /// Access key secret of the Aliyun or Tencent account.
    #[arg(
        long,
        env = "BLOODMOBILE_SMS_KEY_SECRET",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub sms_key_secret: String,
    /// The approved SMS signature (签名).
    #[arg(long, env = "BLOODMOBILE_SMS_SIGN_NAME", default_value = "荆州血站")]
    pub sms_sign_name: String,
    /// Tencent's SmsSdkAppId.
    #[arg(long, env = "BLOODMOBILE_SMS_APP_ID", default_value = "")]
    pub sms_app_id: String,
    /// The approved template code of each notice kind at the Aliyun or Tencent account, as
    /// `kind=CODE,kind=CODE` (e.g. `booking_received=SMS_1234`); a kind not named is sent
    /// under its own name (what the webhook receives).
    #[arg(long, env = "BLOODMOBILE_SMS_TEMPLATES", default_value = "")]
    pub sms_templates: String,
    /// Bearer token a delivery receipt must carry (none: receipts need no token).
    #[arg(long, env = "BLOODMOBILE_SMS_RECEIPT_TOKEN", hide_env_values = true)]
    pub sms_receipt_token: Option<String>,
    /// The folder notices are written to when no SMTP server or SMS gateway is configured.
    #[arg(long, env = "BLOODMOBILE_NOTICE_DIR", default_value = "notices")]
    pub notice_dir: PathBuf,
    /// The address donors open the manage links at (default: the address `serve` listens on).
    #[arg(long, env = "BLOODMOBILE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds before the first retry; each later retry waits twice as long (with jitter).
    #[arg(long, env = "BLOODMOBILE_NOTICE_RETRY_SECONDS", default_value_t = 30.0)]
    pub retry_seconds: f64,
    /// Attempts before a notice is marked failed.
    #[arg(long, env = "BLOODMOBILE_NOTICE_MAX_ATTEMPTS", default_value_t = 8)]
    pub max_attempts: i32,
    /// Seconds a worker holds a claimed notice before another may take it.
    #[arg(long, env = "BLOODMOBILE_NOTICE_LEASE_SECONDS", default_value_t = 60.0)]
    pub lease_seconds: f64,
    /// Notices sent at once by one worker (each mail on its own SMTP connection: a mail takes
    /// a few round trips, so throughput comes from sending many at once).
    #[arg(long, env = "BLOODMOBILE_NOTICE_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
}

impl NoticeSettings {
    pub fn retry_base(&self) -> Duration {
        Duration::from_secs_f64(self.retry_seconds.clamp(0.01, 86_400.0))
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs_f64(self.lease_seconds.clamp(1.0, 86_400.0))
    }

    /// Settings with nothing configured: files in `dir`, links to `public_url`.
    pub fn to_folder(dir: PathBuf, public_url: &str) -> NoticeSettings {
        NoticeSettings {
            smtp_url: None,
            mail_from: "荆州市中心血站 <noreply@bloodmobile.example.org>".into(),
            sms_url: None,
            sms_provider: SmsProvider::Webhook,
            sms_key_id: String::new(),
            sms_key_secret: String::new(),
            sms_sign_name: "荆州血站".into(),
            sms_app_id: String::new(),
            sms_templates: String::new(),
            sms_receipt_token: None,
            notice_dir: dir,
            public_url: Some(public_url.to_string()),
            retry_seconds: 30.0,
            max_attempts: 8,
            lease_seconds: 60.0,
            concurrency: 32,
        }
    }
}
