//! The day's routes drawn as SVG from the coordinates (no tile server: stations may be
//! offline). Each route has a colour, a line style and a letter, so no route is told by colour
//! alone; its stops are numbered in order ("A1", "A2"), the depot is a square.

use crate::routing::GeoPoint;

/// Colours that stay apart for the common colour-vision deficiencies (Okabe and Ito), dark
/// enough on the map's light ground.
const COLOURS: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8C6D00", "#3D3D3D", "#56B4E9",
];
/// Line styles, combined with the colours.
const DASHES: [&str; 4] = ["", "10 5", "3 4", "14 4 3 4"];

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 560.0;
const MARGIN: f64 = 36.0;

/// How a route is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    pub letter: String,
    pub colour: &'static str,
    pub dash: &'static str,
    /// The stylesheet's class of the colour (`route-c0`…), for the route's table.
    pub class: &'static str,
}

/// The style of the `index`-th route: A, B, … Z, AA, AB, …
pub fn style(index: usize) -> Style {
    let mut letter = String::new();
    let mut n = index;
    loop {
        letter.insert(0, (b'A' + (n % 26) as u8) as char);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    const CLASSES: [&str; 7] = [
        "route-c0", "route-c1", "route-c2", "route-c3", "route-c4", "route-c5", "route-c6",
    ];
    Style {
        letter,
        colour: COLOURS[index % COLOURS.len()],
        dash: DASHES[(index / COLOURS.len()) % DASHES.len()],
        class: CLASSES[index % COLOURS.len()],
    }
}

/// One route to draw: its vehicle, its style, its stops in order.
pub struct MapRoute {
    pub vehicle_id: i64,
    pub vehicle_name: String,
    pub style: Style,
    /// Each stop's place and name.
    pub stops: Vec<(GeoPoint, String)>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Places points on the map: longitude scaled by the cosine of the middle latitude, so
/// distances look right, the whole fitted inside the margins.
struct Projection {
    min_x: f64,
    max_y: f64,
    scale: f64,
    cos_lat: f64,
    offset: (f64, f64),
}

impl Projection {
    fn fit(points: &[GeoPoint]) -> Projection {
        let mid_lat = points.iter().map(|p| p.lat).sum::<f64>() / points.len().max(1) as f64;
        let cos_lat = mid_lat.to_radians().cos().max(0.1);
        let xs = points.iter().map(|p| p.lon * cos_lat);
        let ys = points.iter().map(|p| p.lat);
        let (min_x, max_x) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
        let (min_y, max_y) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
        let span_x = (max_x - min_x).max(1e-4);
        let span_y = (max_y - min_y).max(1e-4);
        let scale = ((WIDTH - 2.0 * MARGIN) / span_x).min((HEIGHT - 2.0 * MARGIN) / span_y);
        let offset = (
            (WIDTH - span_x * scale) / 2.0,
            (HEIGHT - span_y * scale) / 2.0,
        );
        Projection {
            min_x,
            max_y,
            scale,
            cos_lat,
            offset,
        }
    }

    fn place(&self, p: GeoPoint) -> (f64, f64) {
        (
            self.offset.0 + (p.lon * self.cos_lat - self.min_x) * self.scale,
            self.offset.1 + (self.max_y - p.lat) * self.scale,
        )
    }
}

/// The map as an inline `<svg>`: one `<g data-vehicle-id>` per route.
pub fn svg(depot: GeoPoint, depot_name: &str, routes: &[MapRoute], title: &str) -> String {
    let mut points = vec![depot];
    points.extend(routes.iter().flat_map(|r| r.stops.iter().map(|(p, _)| *p)));
    let projection = Projection::fit(&points);
    let mut out = format!(
        "<svg class=\"map\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-labelledby=\"map-title\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"map-title\">{}</title>",
        escape(title)
    );
    let (dx, dy) = projection.place(depot);
    for route in routes {
        let s = &route.style;
        let mut line = format!("{dx:.1},{dy:.1}");
        for (p, _) in &route.stops {
            let (x, y) = projection.place(*p);
            line.push_str(&format!(" {x:.1},{y:.1}"));
        }
        line.push_str(&format!(" {dx:.1},{dy:.1}"));
        out.push_str(&format!(
            "<g class=\"route\" data-vehicle-id=\"{}\"><title>{} {}</title>\
             <polyline points=\"{line}\" fill=\"none\" stroke=\"{}\" stroke-width=\"3\" \
             stroke-dasharray=\"{}\" stroke-linejoin=\"round\"/>",
            route.vehicle_id,
            s.letter,
            escape(&route.vehicle_name),
            s.colour,
            s.dash
        ));
        for (n, (p, name)) in route.stops.iter().enumerate() {
            let (x, y) = projection.place(*p);
            let label = format!("{}{}", s.letter, n + 1);
            out.push_str(&format!(
                "<g class=\"stop\"><title>{label} {}</title>\
                 <circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"9\" fill=\"#fff\" stroke=\"{}\" \
                 stroke-width=\"3\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1b1b1b\">{label}</text></g>",
                escape(name),
                s.colour,
                y - 13.0
            ));
        }
        out.push_str("</g>");
    }
    out.push_str(&format!(
        "<g class=\"depot\"><title>{}</title>\
         <rect x=\"{:.1}\" y=\"{:.1}\" width=\"16\" height=\"16\" fill=\"#a3101c\" stroke=\"#fff\" \
         stroke-width=\"2\"/></g></svg>",
        escape(depot_name),
        dx - 8.0,
        dy - 8.0
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint { lat, lon }
    }

    #[test]
    fn routes_get_letters_colours_and_line_styles() {
        assert_eq!(style(0).letter, "A");
        assert_eq!(style(25).letter, "Z");
        assert_eq!(style(26).letter, "AA");
        assert_eq!(style(27).letter, "AB");
        // The eighth route has the first colour again, but another line.
        assert_eq!(style(7).colour, style(0).colour);
        assert_ne!(style(7).dash, style(0).dash);
    }

    #[test]
    fn every_route_and_stop_is_drawn_inside_the_map() {
        let routes = vec![
            MapRoute {
                vehicle_id: 7,
                vehicle_name: "荆州1号<车>".into(),
                style: style(0),
                stops: vec![
                    (at(30.33, 112.27), "红星社区".into()),
                    (at(30.30, 112.24), "园林".into()),
                ],
            },
            MapRoute {
                vehicle_id: 9,
                vehicle_name: "大巴".into(),
                style: style(1),
                stops: vec![(at(30.42, 112.17), "拍马村".into())],
            },
        ];
        let svg = svg(at(30.32, 112.25), "血站", &routes, "路线图");
        assert_eq!(svg.matches("data-vehicle-id=").count(), 2);
        assert!(svg.contains("data-vehicle-id=\"7\"") && svg.contains("data-vehicle-id=\"9\""));
        assert!(
            svg.contains(">A1</text>") && svg.contains(">A2</text>") && svg.contains(">B1</text>")
        );
        assert!(svg.contains("荆州1号&lt;车&gt;"), "names are escaped");
        // Every coordinate lies inside the view box.
        for number in svg
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|n| n.contains('.'))
            .filter_map(|n| n.parse::<f64>().ok())
        {
            assert!((0.0..=WIDTH).contains(&number), "{number}");
        }
    }

    #[test]
    fn a_day_with_one_place_still_draws() {
        let svg = svg(at(30.32, 112.25), "血站", &[], "路线图");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
