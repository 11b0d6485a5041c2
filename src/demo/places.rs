//! Jingzhou's districts and counties, their townships, and the communities (社区) and villages
//! (村) generated around each seat.

use std::collections::HashSet;

use super::people::{PhoneBook, chinese_name};
use super::rng::DemoRng;
use super::{DemoDistrict, DemoSite, SiteKind};

/// One district or county: its seat and the townships that hold its communities and villages.
struct DistrictTable {
    name: &'static str,
    lon: f64,
    lat: f64,
    /// Sub-districts (街道) or the seat town: where the communities are.
    urban: &'static [&'static str],
    /// Towns (镇) and townships (乡) around the seat: where the villages are.
    rural: &'static [&'static str],
    communities: usize,
    villages: usize,
}

/// The city proper (沙市区, 荆州区) gets most communities; the counties mostly villages.
const DISTRICTS: &[DistrictTable] = &[
    DistrictTable {
        name: "沙市区",
        lon: 112.25,
        lat: 30.32,
        urban: &[
            "解放街道",
            "中山街道",
            "崇文街道",
            "胜利街道",
            "朝阳街道",
            "立新街道",
            "联合街道",
        ],
        rural: &["岑河镇", "观音垱镇", "关沮镇", "锣场镇"],
        communities: 28,
        villages: 10,
    },
    DistrictTable {
        name: "荆州区",
        lon: 112.18,
        lat: 30.35,
        urban: &["东城街道", "西城街道", "城南街道"],
        rural: &[
            "郢城镇",
            "纪南镇",
            "川店镇",
            "马山镇",
            "八岭山镇",
            "李埠镇",
            "弥市镇",
        ],
        communities: 22,
        villages: 12,
    },
    DistrictTable {
        name: "公安县",
        lon: 112.23,
        lat: 30.07,
        urban: &["斗湖堤镇"],
        rural: &[
            "埠河镇",
            "杨家厂镇",
            "麻豪口镇",
            "夹竹园镇",
            "闸口镇",
            "藕池镇",
            "黄山头镇",
            "章庄铺镇",
        ],
        communities: 7,
        villages: 12,
    },
    DistrictTable {
        name: "监利市",
        lon: 112.88,
        lat: 29.82,
        urban: &["容城镇"],
        rural: &[
            "朱河镇",
            "新沟镇",
            "龚场镇",
            "周老嘴镇",
            "黄歇口镇",
            "汪桥镇",
            "程集镇",
            "分盐镇",
            "毛市镇",
        ],
        communities: 7,
        villages: 13,
    },
    DistrictTable {
        name: "江陵县",
        lon: 112.42,
        lat: 30.03,
        urban: &["郝穴镇"],
        rural: &[
            "熊河镇",
            "白马寺镇",
            "沙岗镇",
            "普济镇",
            "资市镇",
            "马家寨乡",
            "秦市乡",
        ],
        communities: 5,
        villages: 11,
    },
    DistrictTable {
        name: "石首市",
        lon: 112.40,
        lat: 29.73,
        urban: &["绣林街道", "笔架山街道"],
        rural: &[
            "高基庙镇",
            "南口镇",
            "高陵镇",
            "团山寺镇",
            "东升镇",
            "调关镇",
            "桃花山镇",
        ],
        communities: 6,
        villages: 12,
    },
    DistrictTable {
        name: "洪湖市",
        lon: 113.45,
        lat: 29.80,
        urban: &["新堤街道", "滨湖街道"],
        rural: &[
            "峰口镇",
            "曹市镇",
            "府场镇",
            "戴家场镇",
            "瞿家湾镇",
            "沙口镇",
            "万全镇",
            "燕窝镇",
        ],
        communities: 7,
        villages: 12,
    },
    DistrictTable {
        name: "松滋市",
        lon: 111.77,
        lat: 30.18,
        urban: &["新江口街道", "乐乡街道"],
        rural: &[
            "南海镇",
            "八宝镇",
            "涴市镇",
            "老城镇",
            "王家桥镇",
            "街河市镇",
            "刘家场镇",
            "沙道观镇",
        ],
        communities: 6,
        villages: 12,
    },
];

/// Community names (before "社区"): streets, landmarks and the hopeful names towns give.
const COMMUNITY_NAMES: &[&str] = &[
    "便河",
    "红门路",
    "园林路",
    "北京路",
    "江津",
    "塔桥",
    "民主街",
    "胜利街",
    "中山路",
    "文化宫",
    "白云",
    "东港",
    "长港",
    "太岳",
    "金龙",
    "玉桥",
    "碧水",
    "新沙",
    "荆北",
    "金港",
    "凤凰",
    "东岳",
    "三板桥",
    "梅台",
    "豉湖",
    "九龙",
    "长江",
    "江汉",
    "草市",
    "花台",
    "荆江",
    "楚都",
    "郢都",
    "荆南",
    "学苑",
    "望江",
    "春和",
    "锦绣",
    "阳光",
    "和平",
    "幸福",
    "东方",
    "新城",
    "滨江",
    "明珠",
    "桃园",
    "柳林",
    "梧桐",
    "青年",
    "建设",
    "航空路",
    "沙北",
    "月亮湖",
    "江渎",
    "南湖",
    "北湖",
    "太师渊",
    "荆州路",
    "屈原",
    "公园路",
    "江北",
    "荆中",
    "宾阳",
    "红光",
    "城东",
    "城西",
    "西门",
    "东门",
    "北门",
    "拥军",
    "荆秀",
    "丽景",
    "紫荆",
    "金桥",
    "兴隆",
    "油江",
    "文昌",
    "状元",
    "车站路",
];

/// Surnames that name villages after the family that settled them ("杨家台").
const VILLAGE_CLANS: &[&str] = &[
    "杨", "刘", "黄", "何", "陈", "李", "王", "张", "周", "朱", "罗", "熊", "彭", "邓", "龚", "谭",
    "胡", "杜", "曾", "肖", "余", "汪", "万", "覃", "向",
];
/// Numbers and adjectives that name villages after their place ("三湾", "新垸", "双河").
const VILLAGE_QUALIFIERS: &[&str] = &[
    "三", "五", "七", "八", "九", "新", "白", "红", "青", "金", "长", "双", "高", "东", "西", "南",
    "北", "永", "大", "小", "丰", "清",
];
/// Landforms of the Jianghan plain: polders, bends, dykes, lakes.
const VILLAGE_FEATURES: &[&str] = &[
    "台", "垸", "湾", "湖", "桥", "岗", "河", "口", "铺", "场", "堤", "渊", "咀", "岭", "坪", "堰",
    "洲", "冲", "坝", "庙", "店", "闸", "渡",
];
/// Collective-era village names, still common.
const VILLAGE_COLLECTIVE: &[&str] = &[
    "先锋", "幸福", "团结", "联合", "胜利", "红星", "五一", "八一", "东风", "向阳", "光明", "和平",
    "新华", "永丰", "丰收", "太平", "民主", "建新", "前进", "友谊",
];

/// Kilometres per degree of latitude.
const KM_PER_DEGREE: f64 = 111.0;

/// The districts and counties with their seats.
pub(crate) fn districts() -> Vec<DemoDistrict> {
    DISTRICTS
        .iter()
        .map(|d| DemoDistrict {
            name: d.name,
            lat: d.lat,
            lon: d.lon,
        })
        .collect()
}

/// All communities and villages, district by district.
pub(crate) fn sites(rng: &mut DemoRng, phones: &mut PhoneBook) -> Vec<DemoSite> {
    let mut sites = Vec::new();
    for district in DISTRICTS {
        let mut taken: HashSet<(&str, String)> = HashSet::new();
        for i in 0..district.communities {
            // Round-robin so every sub-district gets its share.
            let township = district.urban[i % district.urban.len()];
            let name = unique_name(&mut taken, township, || {
                format!("{}社区", rng.pick(COMMUNITY_NAMES))
            });
            let (lat, lon) = offset(rng, district.lat, district.lon, 0.3, 3.0);
            sites.push(site(
                rng,
                phones,
                district,
                SiteKind::Community,
                township,
                name,
                lat,
                lon,
            ));
        }
        // Each rural township sits in its own direction from the seat, so its villages cluster
        // together the way they do on a real map.
        let centres: Vec<(f64, f64)> = district
            .rural
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let turn = std::f64::consts::TAU / district.rural.len() as f64;
                let bearing = turn * (i as f64 + rng.unit() * 0.6);
                let km = 9.0 + rng.unit() * 9.0;
                displace(district.lat, district.lon, bearing, km)
            })
            .collect();
        for i in 0..district.villages {
            let t = i % district.rural.len();
            let township = district.rural[t];
            let name = unique_name(&mut taken, township, || village_name(rng));
            let (lat, lon) = offset(rng, centres[t].0, centres[t].1, 0.5, 4.0);
            sites.push(site(
                rng,
                phones,
                district,
                SiteKind::Village,
                township,
                name,
                lat,
                lon,
            ));
        }
    }
    sites
}

#[allow(clippy::too_many_arguments)]
fn site(
    rng: &mut DemoRng,
    phones: &mut PhoneBook,
    district: &DistrictTable,
    kind: SiteKind,
    township: &'static str,
    name: String,
    lat: f64,
    lon: f64,
) -> DemoSite {
    let office = match kind {
        SiteKind::Community => "居委会",
        SiteKind::Village => "村委会",
    };
    let address = format!("荆州市{}{township}{name}{office}", district.name);
    let male = rng.chance(0.5);
    let contact_name = chinese_name(rng, male).display;
    DemoSite {
        kind,
        district: district.name,
        township,
        name,
        address,
        lat: round6(lat),
        lon: round6(lon),
        contact_name,
        contact_phone: phones.issue(rng),
    }
}

/// Draws names until one is new within the township.
fn unique_name(
    taken: &mut HashSet<(&'static str, String)>,
    township: &'static str,
    mut draw: impl FnMut() -> String,
) -> String {
    loop {
        let name = draw();
        if taken.insert((township, name.clone())) {
            return name;
        }
    }
}

fn village_name(rng: &mut DemoRng) -> String {
    let stem = match rng.range(0, 9) {
        0..=3 => format!(
            "{}家{}",
            rng.pick(VILLAGE_CLANS),
            rng.pick(VILLAGE_FEATURES)
        ),
        4..=7 => format!(
            "{}{}",
            rng.pick(VILLAGE_QUALIFIERS),
            rng.pick(VILLAGE_FEATURES)
        ),
        _ => rng.pick(VILLAGE_COLLECTIVE).to_string(),
    };
    format!("{stem}村")
}

/// A point between `min_km` and `max_km` from (lat, lon), spread evenly over the ring's area.
fn offset(rng: &mut DemoRng, lat: f64, lon: f64, min_km: f64, max_km: f64) -> (f64, f64) {
    let bearing = rng.unit() * std::f64::consts::TAU;
    let inner = min_km * min_km;
    let km = (inner + rng.unit() * (max_km * max_km - inner)).sqrt();
    displace(lat, lon, bearing, km)
}

/// Moves `km` along `bearing` (radians from north) on a locally flat Earth: good to metres at
/// these distances.
fn displace(lat: f64, lon: f64, bearing: f64, km: f64) -> (f64, f64) {
    let dlat = km * bearing.cos() / KM_PER_DEGREE;
    let dlon = km * bearing.sin() / (KM_PER_DEGREE * lat.to_radians().cos());
    (lat + dlat, lon + dlon)
}

/// Six decimals are about 0.1 m: enough, and they print cleanly.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
