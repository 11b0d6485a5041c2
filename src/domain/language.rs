//! The languages donors read messages in.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A language the service writes donor-facing messages in: Simplified Chinese by default, or
/// English.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
)]
pub enum Language {
    /// Simplified Chinese, "zh-CN".
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English, "en".
    #[serde(rename = "en")]
    En,
}

impl Language {
    /// Every language, the default first.
    pub const ALL: [Language; 2] = [Language::ZhCn, Language::En];

    /// The tag as written in requests and storage: "zh-CN" or "en".
    pub fn as_str(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }

    /// The language of a tag written as `as_str` gives it (exact).
    pub fn parse(tag: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.as_str() == tag)
    }

    /// `zh` in Chinese, `en` in English.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Language::ZhCn => zh,
            Language::En => en,
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_chinese_is_the_default() {
        for language in Language::ALL {
            assert_eq!(Language::parse(language.as_str()), Some(language));
            let json = serde_json::to_string(&language).unwrap();
            assert_eq!(json, format!("\"{}\"", language.as_str()));
        }
        assert_eq!(Language::default(), Language::ZhCn);
        assert_eq!(Language::parse("zh"), None);
        assert_eq!(Language::En.pick("甲", "a"), "a");
    }
}
