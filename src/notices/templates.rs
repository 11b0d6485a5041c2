//! The words of every notice, in Simplified Chinese and English, with every time in the
//! station's zone: a mail (subject, text, HTML) and a text message (its words, and the template
//! parameters a gateway's approved template takes).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;

use super::NoticeKind;
use super::content::Message;
use crate::domain::language::Language;

/// A notice in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sms: String,
    /// Values for the gateway's template, by name (see [`PARAM_ORDER`]).
    pub params: BTreeMap<String, String>,
}

/// The order a gateway template that takes its values by position (Tencent Cloud) gets them
/// in; absent ones are left out: `reference`, `site`, `time`, then `link` (new bookings) or
/// `reason` (a station's cancellation).
pub const PARAM_ORDER: [&str; 5] = ["reference", "site", "time", "link", "reason"];

impl Rendered {
    /// The template values in [`PARAM_ORDER`].
    pub fn ordered_params(&self) -> Vec<&str> {
        PARAM_ORDER
            .iter()
            .filter_map(|name| self.params.get(*name).map(String::as_str))
            .collect()
    }
}

const WEEKDAYS_ZH: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

/// "12月3日（周四）" or "Thursday 3 December".
fn day(language: Language, t: &DateTime<Tz>) -> String {
    match language {
        Language::ZhCn => format!(
            "{}月{}日（周{}）",
            t.month(),
            t.day(),
            WEEKDAYS_ZH[t.weekday().num_days_from_monday() as usize]
        ),
        Language::En => t.format("%A %-d %B").to_string(),
    }
}

fn hm(t: &DateTime<Tz>) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// "12月3日（周四）08:45–10:30" (the day told once when both ends share it).
fn span(language: Language, (from, to): &(DateTime<Tz>, DateTime<Tz>)) -> String {
    // Where clocks change (CET or CEST), say which time; elsewhere the local time is enough.
    let zone = if changes_clocks(&from.timezone(), from.year()) {
        format!(" {}", from.format("%Z"))
    } else {
        String::new()
    };
    let gap = language.pick("", " ");
    if from.date_naive() == to.date_naive() {
        format!("{}{gap}{}–{}{zone}", day(language, from), hm(from), hm(to))
    } else {
        format!(
            "{}{gap}{} – {}{gap}{}{zone}",
            day(language, from),
            hm(from),
            day(language, to),
            hm(to)
        )
    }
}

/// Whether the zone observes daylight saving time in `year`.
fn changes_clocks(tz: &Tz, year: i32) -> bool {
    use chrono::{Offset, TimeZone};
    let offset = |month| {
        tz.with_ymd_and_hms(year, month, 1, 12, 0, 0)
            .earliest()
            .map(|t| t.offset().fix())
    };
    offset(1) != offset(7)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders `message` in its language.
pub fn render(message: &Message) -> Rendered {
    let l = message.language;
    let booked = span(l, &(message.window_from, message.window_to));
    let arrival = message.arrival.as_ref().map(|a| span(l, a));
    let old = message.old_arrival.as_ref().map(|a| span(l, a));
    let site = format!("{}（{}）", message.site, message.address);
    let site_en = format!("{} ({})", message.site, message.address);
    let place = l.pick(site.as_str(), site_en.as_str()).to_string();
    let mut lines: Vec<String> = Vec::new();
    let greeting = l.pick(
        format!("{}，您好：", message.donor),
        format!("Dear {},", message.donor),
    );
    let subject;
    let sms;
    match message.kind {
        NoticeKind::BookingReceived | NoticeKind::WaitlistOffer => {
            let waitlist = message.kind == NoticeKind::WaitlistOffer;
            subject = match (l, waitlist) {
                (Language::ZhCn, false) => format!("献血预约已确认 {}", message.reference),
                (Language::ZhCn, true) => format!("候补成功，已为您预约 {}", message.reference),
                (Language::En, false) => {
                    format!("Your blood donation is booked: {}", message.reference)
                }
                (Language::En, true) => {
                    format!("A seat came free and is yours: {}", message.reference)
                }
            };
            lines.push(if waitlist {
                l.pick(
                    "您候补的献血时段有了空位，我们已为您预约。".to_string(),
                    "A seat came free where you were waiting, and we booked it for you."
                        .to_string(),
                )
            } else {
                l.pick(
                    "感谢您预约献血，采血车将到您的社区或村。".to_string(),
                    "Thank you for booking: the bloodmobile will come to your community or village."
                        .to_string(),
                )
            });
            sms = l.pick(
                format!(
                    "【{}】预约{}：{} {}。到达时间将另行通知。",
                    message.station, message.reference, message.site, booked
                ),
                format!(
                    "[{}] Booked {}: {}, {}. We will tell you when the bloodmobile arrives.",
                    message.station, message.reference, message.site, booked
                ),
            );
        }
        NoticeKind::Rescheduled => {
            subject = l.pick(
                format!("献血预约已改期 {}", message.reference),
                format!("Your booking has moved: {}", message.reference),
            );
            lines.push(l.pick(
                "您的献血预约已按您的要求更改。".to_string(),
                "Your booking has been changed as you asked.".to_string(),
            ));
            sms = l.pick(
                format!(
                    "【{}】预约{}已改为：{} {}。",
                    message.station, message.reference, message.site, booked
                ),
                format!(
                    "[{}] Booking {} moved to {}, {}.",
                    message.station, message.reference, message.site, booked
                ),
            );
        }
        NoticeKind::WindowPublished => {
            subject = l.pick(
                format!("采血车到达时间 {}", message.reference),
                format!("When the bloodmobile comes: {}", message.reference),
            );
            let when = arrival.clone().unwrap_or_else(|| booked.clone());
            lines.push(l.pick(
                format!("采血车将于 {when} 在{}等您。", message.site),
                format!("The bloodmobile will be at {} {when}.", message.site),
            ));
            sms = l.pick(
                format!(
                    "【{}】采血车将于{}到达{}，请按时前往。预约{}",
                    message.station, when, message.site, message.reference
                ),
                format!(
                    "[{}] The bloodmobile is at {} {}. Booking {}",
                    message.station, message.site, when, message.reference
                ),
            );
        }
        NoticeKind::WindowChanged => {
            subject = l.pick(
                format!("采血车到达时间有变 {}", message.reference),
                format!("The bloodmobile's time has changed: {}", message.reference),
            );
            match &arrival {
                Some(when) => {
                    if let Some(old) = &old {
                        lines.push(l.pick(format!("原定时间：{old}"), format!("It was: {old}")));
                    }
                    lines.push(l.pick(
                        format!("新的时间：{when}，地点：{}。", message.site),
                        format!("It is now: {when}, at {}.", message.site),
                    ));
                    sms = l.pick(
                        format!(
                            "【{}】到达时间变更为{}，地点{}。预约{}",
                            message.station, when, message.site, message.reference
                        ),
                        format!(
                            "[{}] New time: {} at {}. Booking {}",
                            message.station, when, message.site, message.reference
                        ),
                    );
                }
                None => {
                    lines.push(l.pick(
                        "采血车的行程正在调整，我们会尽快告诉您新的时间。".to_string(),
                        "The bloodmobile's round is being rearranged; we will tell you the new time soon."
                            .to_string(),
                    ));
                    sms = l.pick(
                        format!(
                            "【{}】预约{}的到达时间正在调整，稍后通知。",
                            message.station, message.reference
                        ),
                        format!(
                            "[{}] The time for booking {} is being rearranged; we will tell you.",
                            message.station, message.reference
                        ),
                    );
                }
            }
        }
        NoticeKind::Reminder => {
            subject = l.pick(
                format!("明天献血提醒 {}", message.reference),
                format!("Tomorrow: your blood donation {}", message.reference),
            );
            let when = arrival.clone().unwrap_or_else(|| booked.clone());
            lines.push(l.pick(
                format!("提醒您：明天 {when}，采血车在{}。献血前请吃清淡早餐、睡好觉，带上身份证。", message.site),
                format!(
                    "A reminder: tomorrow, {when}, the bloodmobile is at {}. Eat a light meal, sleep well and bring your ID card.",
                    message.site
                ),
            ));
            sms = l.pick(
                format!(
                    "【{}】明天{}，采血车在{}，请带身份证。预约{}",
                    message.station, when, message.site, message.reference
                ),
                format!(
                    "[{}] Tomorrow {} at {}; bring your ID. Booking {}",
                    message.station, when, message.site, message.reference
                ),
            );
        }
        NoticeKind::Cancelled => {
            subject = l.pick(
                format!("献血预约已取消 {}", message.reference),
                format!("Your booking is cancelled: {}", message.reference),
            );
            match (&message.reason, message.cancelled_by_station) {
                (Some(reason), true) => lines.push(l.pick(
                    format!("很抱歉，血站取消了您 {booked} 的预约。原因：{reason}"),
                    format!("We are sorry: the station cancelled your booking for {booked}. Reason: {reason}"),
                )),
                _ => lines.push(l.pick(
                    format!("您 {booked} 的献血预约已按您的要求取消。欢迎再次预约。"),
                    format!("Your booking for {booked} is cancelled as you asked. You are welcome to book again."),
                )),
            }
            sms = l.pick(
                format!(
                    "【{}】预约{}已取消{}。",
                    message.station,
                    message.reference,
                    message
                        .reason
                        .as_ref()
                        .map(|r| format!("，原因：{r}"))
                        .unwrap_or_default()
                ),
                format!(
                    "[{}] Booking {} is cancelled{}.",
                    message.station,
                    message.reference,
                    message
                        .reason
                        .as_ref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            );
        }
        NoticeKind::ThankYou => {
            subject = l.pick(
                "感谢您的无偿献血".to_string(),
                "Thank you for giving blood".to_string(),
            );
            lines.push(l.pick(
                "感谢您今天的无偿献血，您的热血将挽救生命。请多喝水，今天避免剧烈运动。".to_string(),
                "Thank you for giving blood today: it will save lives. Drink plenty and take it easy today."
                    .to_string(),
            ));
            sms = l.pick(
                format!(
                    "【{}】感谢您的无偿献血！请多喝水，注意休息。",
                    message.station
                ),
                format!(
                    "[{}] Thank you for giving blood! Drink plenty and rest.",
                    message.station
                ),
            );
        }
    }
    if !matches!(message.kind, NoticeKind::ThankYou | NoticeKind::Cancelled) {
        lines.push(l.pick(format!("地点：{place}"), format!("Place: {place}")));
        lines.push(l.pick(format!("预约时段：{booked}"), format!("Booked: {booked}")));
        if let Some(when) = &arrival {
            lines.push(l.pick(
                format!("采血车到达：{when}（请在此时间内前往）"),
                format!("Bloodmobile at the gate: {when} (come any time within it)"),
            ));
        }
        lines.push(l.pick(
            format!("预约号：{}", message.reference),
            format!("Reference: {}", message.reference),
        ));
    }
    if let Some(url) = &message.manage_url {
        lines.push(l.pick(
            format!("查看、改期或取消：{url}（请勿转发此链接）"),
            format!("View, reschedule or cancel: {url} (do not forward this link)"),
        ));
    }
    let text = format!(
        "{greeting}\n\n{}\n\n{}\n",
        lines.join("\n"),
        message.station
    );
    let html = format!(
        "<!doctype html><html lang=\"{}\"><body><p>{}</p>{}<p>{}</p></body></html>",
        l.as_str(),
        escape(&greeting),
        lines
            .iter()
            .map(|line| format!("<p>{}</p>", linkify(&escape(line))))
            .collect::<String>(),
        escape(&message.station)
    );
    // A donor with no email address learns the manage link from the text message.
    let mut sms = sms;
    if let Some(url) = &message.manage_url {
        sms.push_str(&l.pick(format!(" 管理预约：{url}"), format!(" Manage: {url}")));
    }
    let mut params = BTreeMap::new();
    params.insert("reference".into(), message.reference.clone());
    params.insert("site".into(), message.site.clone());
    params.insert("time".into(), arrival.unwrap_or(booked));
    if let Some(reason) = &message.reason {
        params.insert("reason".into(), reason.clone());
    }
    if let Some(url) = &message.manage_url {
        params.insert("link".into(), url.clone());
    }
    Rendered {
        subject,
        text,
        html,
        sms,
        params,
    }
}

/// Turns the escaped link of a line into an anchor.
fn linkify(line: &str) -> String {
    match line.find("http") {
        Some(start) => {
            let end = line[start..]
                .find(|c: char| c.is_whitespace() || c == '（' || c == '(')
                .map_or(line.len(), |e| start + e);
            let url = &line[start..end];
            format!(
                "{}<a href=\"{url}\">{url}</a>{}",
                &line[..start],
                &line[end..]
            )
        }
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notices::Channel;
    use chrono::{NaiveDate, TimeZone};

    fn message(kind: NoticeKind, language: Language, tz: Tz) -> Message {
        let at = |h, m| tz.with_ymd_and_hms(2026, 12, 3, h, m, 0).unwrap();
        Message {
            kind,
            channel: Channel::Email,
            language,
            station: "荆州市中心血站".into(),
            reference: "K7Q9-XMT4".into(),
            donor: "张三".into(),
            site: "三湾社区".into(),
            address: "沙市区中山街道三湾社区".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            window: "morning".into(),
            window_from: at(8, 0),
            window_to: at(12, 0),
            arrival: Some((at(9, 15), at(10, 40))),
            old_arrival: Some((at(8, 15), at(9, 40))),
            manage_url: Some("http://127.0.0.1:8080/manage/K7Q9-XMT4?t=secret".into()),
            reason: None,
            cancelled_by_station: false,
            sequence: 1,
            organiser: "noreply@example.org".into(),
        }
    }

    #[test]
    fn every_kind_reads_in_both_languages_with_local_times() {
        for kind in NoticeKind::ALL {
            for language in Language::ALL {
                let r = render(&message(kind, language, chrono_tz::Asia::Shanghai));
                assert!(!r.subject.is_empty() && !r.sms.is_empty(), "{kind:?}");
                assert!(r.text.contains("荆州市中心血站"));
                if kind != NoticeKind::ThankYou {
                    assert!(r.subject.contains("K7Q9-XMT4") || r.sms.contains("K7Q9-XMT4"));
                }
                if matches!(kind, NoticeKind::WindowPublished | NoticeKind::Reminder) {
                    assert!(r.sms.contains("09:15–10:40"), "{}", r.sms);
                }
            }
        }
        let zh = render(&message(
            NoticeKind::WindowChanged,
            Language::ZhCn,
            chrono_tz::Asia::Shanghai,
        ));
        assert!(
            zh.text.contains("12月3日（周四）09:15–10:40"),
            "{}",
            zh.text
        );
        assert!(
            zh.text.contains("原定时间：12月3日（周四）08:15–09:40"),
            "{}",
            zh.text
        );
        let en = render(&message(
            NoticeKind::BookingReceived,
            Language::En,
            chrono_tz::Asia::Shanghai,
        ));
        assert!(
            en.text.contains("Thursday 3 December 08:00–12:00"),
            "{}",
            en.text
        );
        assert!(
            en.html
                .contains("<a href=\"http://127.0.0.1:8080/manage/K7Q9-XMT4?t=secret\">")
        );
        assert!(
            en.sms
                .ends_with("Manage: http://127.0.0.1:8080/manage/K7Q9-XMT4?t=secret")
        );
        assert_eq!(
            en.ordered_params(),
            [
                "K7Q9-XMT4",
                "三湾社区",
                "Thursday 3 December 09:15–10:40",
                "http://127.0.0.1:8080/manage/K7Q9-XMT4?t=secret"
            ]
        );
    }

    #[test]
    fn a_zone_with_daylight_saving_names_its_offset() {
        let r = render(&message(
            NoticeKind::Reminder,
            Language::En,
            chrono_tz::Europe::Berlin,
        ));
        assert!(r.text.contains("09:15–10:40 CET"), "{}", r.text);
    }

    #[test]
    fn a_station_cancellation_gives_its_reason() {
        let mut m = message(
            NoticeKind::Cancelled,
            Language::ZhCn,
            chrono_tz::Asia::Shanghai,
        );
        m.reason = Some("采血车故障".into());
        m.cancelled_by_station = true;
        let r = render(&m);
        assert!(r.text.contains("原因：采血车故障") && r.sms.contains("采血车故障"));
        assert_eq!(r.params["reason"], "采血车故障");
    }
}
