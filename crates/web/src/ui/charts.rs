//! Charts drawn on the server as SVG — a line over time, bars across agencies, and a
//! choropleth map of the provinces (outlines from `data/provinces-2025.geojson`) — with
//! Vietnamese number formatting, so a page needs no script or chart library from anywhere.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;

use crate::i18n::Lang;

pub use baocao_domain::language::number;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 40.0;

/// A line over time: `(label, value)` per point, gaps where a value is missing.
pub fn line(title: &str, points: &[(String, Option<f64>)], lang: Lang) -> String {
    let values: Vec<f64> = points.iter().filter_map(|(_, v)| *v).collect();
    let high = values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    let step = (WIDTH - LEFT - 10.0) / points.len().max(2).saturating_sub(1) as f64;
    let y = |v: f64| 10.0 + (HEIGHT - BOTTOM - 10.0) * (1.0 - v / high);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\" class=\"chart line\">",
        escape(title)
    );
    axis(&mut svg, high, lang);
    let mut path = String::new();
    let mut pen_down = false;
    for (i, (_, value)) in points.iter().enumerate() {
        match value {
            Some(v) => {
                let _ = write!(
                    path,
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    LEFT + step * i as f64,
                    y(*v)
                );
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let _ = write!(
        svg,
        "<path d=\"{path}\" fill=\"none\" stroke=\"#0b4f8a\" stroke-width=\"2\"/>"
    );
    for (i, (label, value)) in points.iter().enumerate() {
        let x = LEFT + step * i as f64;
        if let Some(v) = value {
            let _ = write!(
                svg,
                "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#0b4f8a\"><title>{}: {}</title></circle>",
                y(*v),
                escape(label),
                number(*v, 1, lang)
            );
        }
        if i % 3 == 0 || i + 1 == points.len() {
            let _ = write!(
                svg,
                "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                HEIGHT - BOTTOM + 16.0,
                escape(label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn axis(svg: &mut String, high: f64, lang: Lang) {
    for k in 0..=4 {
        let v = high * f64::from(k) / 4.0;
        let y = 10.0 + (HEIGHT - BOTTOM - 10.0) * (1.0 - f64::from(k) / 4.0);
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{WIDTH}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#dde3ea\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y + 3.0,
            number(v, 0, lang)
        );
    }
}

/// Bars across agencies, largest first: `(label, value)`; a missing value is drawn as none.
pub fn bars(title: &str, items: &[(String, Option<f64>)], lang: Lang) -> String {
    let mut sorted: Vec<&(String, Option<f64>)> = items.iter().collect();
    sorted.sort_by(|a, b| b.1.unwrap_or(f64::MIN).total_cmp(&a.1.unwrap_or(f64::MIN)));
    let high = sorted
        .iter()
        .filter_map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let row = 16.0;
    let height = row * sorted.len() as f64 + 10.0;
    let label_width = 150.0;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{}\" class=\"chart bars\">",
        escape(title)
    );
    for (i, (label, value)) in sorted.iter().enumerate() {
        let y = 5.0 + row * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            label_width - 6.0,
            y + 11.0,
            escape(label)
        );
        if let Some(v) = value {
            let w = (WIDTH - label_width - 80.0) * v / high;
            let _ = write!(
                svg,
                "<rect x=\"{label_width}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#2f6fab\"><title>{}: {}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text>",
                row - 4.0,
                escape(label),
                number(*v, 1, lang),
                label_width + w + 4.0,
                y + 10.0,
                number(*v, 1, lang)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Series colours, in order.
const PALETTE: [&str; 6] = [
    "#0b4f8a", "#d9822b", "#3a9b5c", "#a23b72", "#6c6f7f", "#c9b037",
];

/// A legend under a chart of several series.
fn legend(svg: &mut String, names: &[&str], y: f64) {
    let mut x = LEFT;
    for (i, name) in names.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{y:.1}\" font-size=\"10\">{}</text>",
            y - 9.0,
            x + 14.0,
            escape(name)
        );
        x += 24.0 + 6.0 * name.chars().count().min(40) as f64;
    }
}

/// Several lines over the same labels (`series`: name and one value per label), with a
/// legend; gaps where a value is missing.
pub fn lines(
    title: &str,
    labels: &[String],
    series: &[(String, Vec<Option<f64>>)],
    lang: Lang,
) -> String {
    let high = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .copied()
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let step = (WIDTH - LEFT - 10.0) / labels.len().max(2).saturating_sub(1) as f64;
    let y = |v: f64| 10.0 + (HEIGHT - BOTTOM - 10.0) * (1.0 - v / high);
    let total_height = HEIGHT + 20.0;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {WIDTH} {total_height}\" role=\"img\" aria-label=\"{}\" class=\"chart lines\">",
        escape(title)
    );
    axis(&mut svg, high, lang);
    for (k, (name, values)) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (i, value) in values.iter().enumerate() {
            match value {
                Some(v) => {
                    let x = LEFT + step * i as f64;
                    let _ = write!(
                        path,
                        "{}{x:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        y(*v)
                    );
                    let _ = write!(
                        svg,
                        "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>{} — {}: {}</title></circle>",
                        y(*v),
                        escape(name),
                        escape(labels.get(i).map_or("", String::as_str)),
                        number(*v, 1, lang)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>"
        );
    }
    x_labels(&mut svg, labels, step);
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    legend(&mut svg, &names, HEIGHT + 12.0);
    svg.push_str("</svg>");
    svg
}

fn x_labels(svg: &mut String, labels: &[String], step: f64) {
    let every = labels.len().div_ceil(12).max(1);
    for (i, label) in labels.iter().enumerate() {
        if i % every == 0 || i + 1 == labels.len() {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                LEFT + step * i as f64,
                HEIGHT - BOTTOM + 16.0,
                escape(label)
            );
        }
    }
}

/// Stacked columns: one column per label, one segment per series, with a legend.
pub fn stacked(
    title: &str,
    labels: &[String],
    series: &[(String, Vec<Option<f64>>)],
    lang: Lang,
) -> String {
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .filter_map(|(_, v)| v.get(i).copied().flatten())
                .filter(|v| *v > 0.0)
                .sum()
        })
        .collect();
    let high = totals.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    let slot = (WIDTH - LEFT - 10.0) / labels.len().max(1) as f64;
    let width = (slot * 0.7).max(2.0);
    let scale = |v: f64| (HEIGHT - BOTTOM - 10.0) * v / high;
    let total_height = HEIGHT + 20.0;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {WIDTH} {total_height}\" role=\"img\" aria-label=\"{}\" class=\"chart stacked\">",
        escape(title)
    );
    axis(&mut svg, high, lang);
    for (i, label) in labels.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - width) / 2.0;
        let mut base = HEIGHT - BOTTOM;
        for (k, (name, values)) in series.iter().enumerate() {
            let Some(v) = values.get(i).copied().flatten().filter(|v| *v > 0.0) else {
                continue;
            };
            let h = scale(v);
            base -= h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{base:.1}\" width=\"{width:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} — {}: {}</title></rect>",
                PALETTE[k % PALETTE.len()],
                escape(name),
                escape(label),
                number(v, 1, lang)
            );
        }
    }
    x_labels(&mut svg, labels, slot);
    // Labels sit under the middle of their column.
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    legend(&mut svg, &names, HEIGHT + 12.0);
    svg.push_str("</svg>");
    svg
}

/// The provinces' outlines, projected once: code → SVG path data.
fn outlines() -> &'static Vec<(String, String)> {
    static OUTLINES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    OUTLINES.get_or_init(|| {
        let geojson: serde_json::Value =
            serde_json::from_str(include_str!("../../../../data/provinces-2025.geojson"))
                .unwrap_or_default();
        let features = geojson["features"].as_array().cloned().unwrap_or_default();
        // Equirectangular at Vietnam's middle latitude: plain, and true enough at this scale.
        let scale_x = (16.0_f64).to_radians().cos();
        let project = |point: &serde_json::Value| -> Option<(f64, f64)> {
            let lon = point.get(0)?.as_f64()?;
            let lat = point.get(1)?.as_f64()?;
            Some((
                (lon - 102.0) * scale_x * 30.0 + 10.0,
                (23.6 - lat) * 30.0 + 10.0,
            ))
        };
        features
            .iter()
            .filter_map(|feature| {
                let code = feature["properties"]["code"].as_str()?.to_string();
                let geometry = &feature["geometry"];
                let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str()? {
                    "Polygon" => vec![&geometry["coordinates"]],
                    "MultiPolygon" => geometry["coordinates"].as_array()?.iter().collect(),
                    _ => return None,
                };
                let mut d = String::new();
                for polygon in polygons {
                    for ring in polygon.as_array()? {
                        for (i, point) in ring.as_array()?.iter().enumerate() {
                            let (x, y) = project(point)?;
                            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
                        }
                        d.push('Z');
                    }
                }
                Some((code, d))
            })
            .collect()
    })
}

/// The colour classes of a choropleth, lightest to darkest.
const CLASSES: [&str; 5] = ["#dbe9f6", "#a9cbe8", "#6fa6d6", "#3a7dbf", "#0b4f8a"];

/// A map of the provinces coloured by `values` (code → value) in five classes by rank;
/// `names` (code → name) label each province.
pub fn choropleth(
    title: &str,
    values: &HashMap<String, f64>,
    names: &HashMap<String, String>,
    lang: Lang,
) -> String {
    let mut sorted: Vec<f64> = values.values().copied().collect();
    sorted.sort_by(f64::total_cmp);
    // By rank: the least value lightest, the greatest darkest, the rest spread between.
    let class_of = |v: f64| {
        let rank = sorted.iter().position(|x| *x >= v).unwrap_or(0);
        match sorted.len() {
            0 | 1 => CLASSES.len() / 2,
            n => rank * (CLASSES.len() - 1) / (n - 1),
        }
    };
    let mut svg = format!(
        "<svg viewBox=\"0 0 400 480\" role=\"img\" aria-label=\"{}\" class=\"chart map\">",
        escape(title)
    );
    for (code, d) in outlines() {
        let name = names.get(code).cloned().unwrap_or_else(|| code.clone());
        let (fill, label) = match values.get(code) {
            Some(v) => (
                CLASSES[class_of(*v)],
                format!("{name}: {}", number(*v, 1, lang)),
            ),
            None => ("#eeeeee", format!("{name}: —")),
        };
        let _ = write!(
            svg,
            "<path id=\"map-{code}\" d=\"{d}\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"0.6\"><title>{}</title></path>",
            escape(&label)
        );
    }
    archipelagos(&mut svg, lang);
    // The legend: each class with the values it spans, and the grey of no data.
    let mut row = 0.0;
    let _ = write!(
        svg,
        "<g id=\"map-legend\" font-size=\"9\" fill=\"#1b2430\">"
    );
    for (class, colour) in CLASSES.iter().enumerate() {
        let members: Vec<f64> = sorted
            .iter()
            .copied()
            .filter(|v| class_of(*v) == class)
            .collect();
        let (Some(low), Some(high)) = (members.first(), members.last()) else {
            continue;
        };
        let y = 262.0 + row * 14.0;
        let _ = write!(
            svg,
            "<rect x=\"10\" y=\"{y}\" width=\"12\" height=\"10\" fill=\"{colour}\"/><text x=\"26\" y=\"{}\">{} – {}</text>",
            y + 8.5,
            number(*low, 1, lang),
            number(*high, 1, lang)
        );
        row += 1.0;
    }
    let y = 262.0 + row * 14.0;
    let _ = write!(
        svg,
        "<rect x=\"10\" y=\"{y}\" width=\"12\" height=\"10\" fill=\"#eeeeee\" stroke=\"#c0c6ce\" stroke-width=\"0.5\"/><text x=\"26\" y=\"{}\">{}</text></g>",
        y + 8.5,
        if lang == Lang::En {
            "no data"
        } else {
            "không có số liệu"
        }
    );
    svg.push_str("</svg>");
    svg
}

/// An archipelago on the map: its id, Vietnamese and English names, islands (longitude,
/// latitude).
type Archipelago = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(f64, f64)],
);

/// Vietnam's two archipelagos in the East Sea, which every map of the country shows: Hoàng Sa
/// (Đà Nẵng) and Trường Sa (Khánh Hòa), as dots at their islands' places, named.
fn archipelagos(svg: &mut String, lang: Lang) {
    let scale_x = (16.0_f64).to_radians().cos();
    let place = |lon: f64, lat: f64| {
        (
            (lon - 102.0) * scale_x * 30.0 + 10.0,
            (23.6 - lat) * 30.0 + 10.0,
        )
    };
    let groups: [Archipelago; 2] = [
        (
            "hoang-sa",
            "Quần đảo Hoàng Sa (Đà Nẵng)",
            "Hoang Sa archipelago (Da Nang)",
            &[
                (111.6, 16.5),
                (112.3, 16.9),
                (112.7, 16.5),
                (111.2, 15.8),
                (112.0, 16.0),
                (111.7, 17.1),
            ],
        ),
        (
            "truong-sa",
            "Quần đảo Trường Sa (Khánh Hòa)",
            "Truong Sa archipelago (Khanh Hoa)",
            &[
                (114.3, 10.4),
                (114.9, 11.4),
                (113.8, 9.8),
                (115.5, 10.0),
                (112.9, 8.6),
                (114.4, 8.9),
                (116.0, 10.8),
            ],
        ),
    ];
    for (id, name_vi, name_en, islands) in groups {
        let name = if lang == Lang::En { name_en } else { name_vi };
        let _ = write!(
            svg,
            "<g id=\"map-{id}\" fill=\"#3d4f63\"><title>{}</title>",
            escape(name)
        );
        for (lon, lat) in islands {
            let (x, y) = place(*lon, *lat);
            let _ = write!(svg, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"1.4\"/>");
        }
        let (x, y) = place(islands[0].0, islands[0].1);
        let short = if lang == Lang::En {
            name_en.split(" (").next().unwrap_or(name_en)
        } else {
            name_vi.split(" (").next().unwrap_or(name_vi)
        };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"8.5\" text-anchor=\"middle\">{}</text></g>",
            x.min(352.0),
            y - 8.0,
            escape(short)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_vietnamese_way() {
        assert_eq!(number(1_234_567.8, 1, Lang::Vi), "1.234.567,8");
        assert_eq!(number(1_234_567.8, 1, Lang::En), "1,234,567.8");
        assert_eq!(number(-1500.0, 1, Lang::Vi), "-1.500");
        assert_eq!(number(0.25, 2, Lang::Vi), "0,25");
        assert_eq!(number(999.0, 0, Lang::Vi), "999");
    }

    #[test]
    fn the_map_has_every_province_coloured_by_class() {
        assert_eq!(outlines().len(), 34);
        let values: HashMap<String, f64> =
            [("01".to_string(), 100.0), ("79".to_string(), 10.0)].into();
        let svg = choropleth("Bản đồ", &values, &HashMap::new(), Lang::Vi);
        assert_eq!(svg.matches("<path").count(), 34);
        assert!(
            svg.contains("id=\"map-01\"") && svg.contains("#0b4f8a"),
            "the highest is darkest"
        );
        assert!(svg.contains("01: 100"));
        assert!(
            svg.contains("#eeeeee"),
            "provinces without a value are grey"
        );
        // A legend of the classes present and the islands, named.
        assert!(
            svg.contains("id=\"map-legend\"")
                && svg.contains("10 – 10")
                && svg.contains("100 – 100")
        );
        assert!(svg.contains("không có số liệu"));
        assert!(svg.contains("Quần đảo Hoàng Sa") && svg.contains("Quần đảo Trường Sa"));
        let english = choropleth("Map", &values, &HashMap::new(), Lang::En);
        assert!(english.contains("Truong Sa archipelago") && english.contains("no data"));
    }

    #[test]
    fn several_series_get_their_colours_and_a_legend() {
        let labels = vec!["01/2026".to_string(), "02/2026".to_string()];
        let series = vec![
            ("Xuất khẩu".to_string(), vec![Some(1.0), Some(2.0)]),
            ("Nhập khẩu".to_string(), vec![None, Some(3.0)]),
        ];
        let svg = lines("L", &labels, &series, Lang::Vi);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains(PALETTE[1]) && svg.contains(">Nhập khẩu<"));
        let svg = stacked("S", &labels, &series, Lang::Vi);
        assert_eq!(
            svg.matches("<rect").count(),
            3 + 2,
            "three segments and two legend keys"
        );
        assert!(svg.contains("Nhập khẩu — 02/2026: 3"));
    }

    #[test]
    fn charts_escape_their_labels_and_skip_gaps() {
        let svg = line(
            "<T>",
            &[
                ("a".into(), Some(1.0)),
                ("b".into(), None),
                ("c".into(), Some(2.0)),
            ],
            Lang::Vi,
        );
        assert!(svg.contains("&lt;T&gt;"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches('M').count(), 2, "the gap breaks the line");
        let bars = bars(
            "B",
            &[
                ("x".into(), Some(2.0)),
                ("y".into(), Some(5.0)),
                ("z".into(), None),
            ],
            Lang::En,
        );
        assert!(
            bars.find(">y<").unwrap() < bars.find(">x<").unwrap(),
            "largest first"
        );
    }
}
