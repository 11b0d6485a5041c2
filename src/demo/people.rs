//! People for the demo: realistic Chinese names (with pinyin for e-mail addresses), a few English
//! names for `en` donors, and unique Chinese mobile numbers.

use std::collections::HashSet;

use super::rng::DemoRng;

/// Common surnames with their pinyin, roughly in order of frequency; the weight favours the
/// most common ones the way a real roll of donors does.
const SURNAMES: &[(&str, &str, u32)] = &[
    ("王", "wang", 72),
    ("李", "li", 72),
    ("张", "zhang", 68),
    ("刘", "liu", 55),
    ("陈", "chen", 50),
    ("杨", "yang", 35),
    ("黄", "huang", 25),
    ("赵", "zhao", 22),
    ("吴", "wu", 21),
    ("周", "zhou", 21),
    ("徐", "xu", 16),
    ("孙", "sun", 15),
    ("胡", "hu", 15),
    ("朱", "zhu", 14),
    ("高", "gao", 13),
    ("林", "lin", 12),
    ("何", "he", 12),
    ("郭", "guo", 12),
    ("马", "ma", 12),
    ("罗", "luo", 10),
    ("梁", "liang", 9),
    ("宋", "song", 9),
    ("郑", "zheng", 9),
    ("谢", "xie", 8),
    ("韩", "han", 7),
    ("唐", "tang", 7),
    ("冯", "feng", 7),
    ("邓", "deng", 7),
    ("曹", "cao", 6),
    ("彭", "peng", 7),
    ("曾", "zeng", 6),
    ("肖", "xiao", 6),
    ("田", "tian", 5),
    ("董", "dong", 5),
    ("袁", "yuan", 5),
    ("潘", "pan", 5),
    ("蒋", "jiang", 5),
    ("蔡", "cai", 5),
    ("余", "yu", 6),
    ("杜", "du", 4),
    ("叶", "ye", 4),
    ("程", "cheng", 5),
    ("魏", "wei", 4),
    ("熊", "xiong", 6),
    ("龚", "gong", 4),
    ("汪", "wang", 5),
    ("谭", "tan", 4),
    ("万", "wan", 4),
    ("雷", "lei", 3),
    ("付", "fu", 3),
    ("覃", "qin", 3),
    ("艾", "ai", 2),
    ("向", "xiang", 3),
    ("邹", "zou", 3),
];

/// Characters common in men's given names, with pinyin.
const MALE_GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("勇", "yong"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("斌", "bin"),
    ("超", "chao"),
    ("明", "ming"),
    ("刚", "gang"),
    ("平", "ping"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("华", "hua"),
    ("飞", "fei"),
    ("鑫", "xin"),
    ("波", "bo"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("凯", "kai"),
    ("健", "jian"),
    ("俊", "jun"),
    ("帆", "fan"),
    ("旭", "xu"),
    ("宁", "ning"),
    ("龙", "long"),
    ("林", "lin"),
    ("阳", "yang"),
    ("建", "jian"),
    ("国", "guo"),
    ("志", "zhi"),
    ("文", "wen"),
    ("峰", "feng"),
    ("亮", "liang"),
    ("成", "cheng"),
    ("东", "dong"),
    ("海", "hai"),
    ("红", "hong"),
    ("兵", "bing"),
];

/// Characters common in women's given names, with pinyin.
const FEMALE_GIVEN: &[(&str, &str)] = &[
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("艳", "yan"),
    ("娟", "juan"),
    ("霞", "xia"),
    ("燕", "yan"),
    ("玲", "ling"),
    ("桂", "gui"),
    ("英", "ying"),
    ("秀", "xiu"),
    ("兰", "lan"),
    ("萍", "ping"),
    ("红", "hong"),
    ("琴", "qin"),
    ("云", "yun"),
    ("莉", "li"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("倩", "qian"),
    ("慧", "hui"),
    ("颖", "ying"),
    ("琳", "lin"),
    ("晶", "jing"),
    ("洁", "jie"),
    ("丹", "dan"),
    ("玉", "yu"),
    ("梅", "mei"),
    ("佳", "jia"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("雯", "wen"),
    ("春", "chun"),
    ("凤", "feng"),
];

/// Names for the few foreign residents (teachers, engineers) who book in English.
const ENGLISH_FIRST: &[&str] = &[
    "Daniel", "Emily", "James", "Sophie", "Michael", "Anna", "Thomas", "Laura", "David", "Olivia",
];
const ENGLISH_LAST: &[&str] = &[
    "Carter", "Moore", "Walker", "Schmidt", "Dubois", "Rossi", "Nguyen", "Kim", "Brown", "Fischer",
];

/// Reserved example domains, so no demo message can reach a real mailbox.
const EMAIL_DOMAINS: &[&str] = &["example.com", "example.cn", "example.org"];

/// Mobile prefixes in use by the three Chinese carriers.
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199",
];

/// A generated person's name, with the pinyin used to build an e-mail address.
pub(crate) struct PersonName {
    pub(crate) display: String,
    pub(crate) email_local: String,
}

/// A Chinese name of two or three characters for a person of the given sex.
pub(crate) fn chinese_name(rng: &mut DemoRng, male: bool) -> PersonName {
    let weighted: Vec<(usize, u32)> = SURNAMES
        .iter()
        .enumerate()
        .map(|(i, &(_, _, w))| (i, w))
        .collect();
    let (surname, surname_py, _) = SURNAMES[rng.weighted(&weighted)];
    let pool = if male { MALE_GIVEN } else { FEMALE_GIVEN };
    let mut display = surname.to_string();
    let mut pinyin = surname_py.to_string();
    let given_len = if rng.chance(0.35) { 1 } else { 2 };
    let mut previous = "";
    for _ in 0..given_len {
        let (mut hanzi, mut py) = rng.pick(pool);
        // "伟伟" reads as a nickname; pick again once to avoid most doubled characters.
        if hanzi == previous {
            (hanzi, py) = rng.pick(pool);
        }
        display.push_str(hanzi);
        pinyin.push_str(py);
        previous = hanzi;
    }
    PersonName {
        display,
        email_local: pinyin,
    }
}

/// A Latin-script name for a donor who books in English.
pub(crate) fn english_name(rng: &mut DemoRng) -> PersonName {
    let first = rng.pick(ENGLISH_FIRST);
    let last = rng.pick(ENGLISH_LAST);
    PersonName {
        display: format!("{first} {last}"),
        email_local: format!("{}.{}", first.to_lowercase(), last.to_lowercase()),
    }
}

/// An e-mail address at a reserved example domain.
pub(crate) fn email(rng: &mut DemoRng, local: &str, birth_year: i32) -> String {
    let domain = rng.pick(EMAIL_DOMAINS);
    if rng.chance(0.5) {
        format!("{local}{}@{domain}", birth_year % 100)
    } else {
        format!("{local}{}@{domain}", rng.range(1, 999))
    }
}

/// Hands out Chinese 11-digit mobile numbers, never the same one twice.
#[derive(Default)]
pub(crate) struct PhoneBook {
    issued: HashSet<String>,
}

impl PhoneBook {
    /// A new mobile number (`1[3-9]` followed by nine digits) not issued before.
    pub(crate) fn issue(&mut self, rng: &mut DemoRng) -> String {
        loop {
            let prefix = rng.pick(MOBILE_PREFIXES);
            let number = format!("{prefix}{:08}", rng.range(0, 99_999_999));
            if self.issued.insert(number.clone()) {
                return number;
            }
        }
    }
}
