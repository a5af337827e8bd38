//! The run as one self-contained SVG: a group of bars per figure of the table (floor, bare, ours, the
//! others), each figure on its own ratio scale (zero at the left, the figure's largest value at full width),
//! so the columns read against each other whatever the unit. Hand-written text, no dependencies.

use super::{Samples, format, rows::rows};
use std::fmt::Write;

const COLOURS: [&str; 6] = ["#9e9e9e", "#607d8b", "#1e88e5", "#e53935", "#fb8c00", "#8e24aa"];
const LABEL_WIDTH: usize = 400;
const BAR_WIDTH: usize = 440;
const VALUE_WIDTH: usize = 200;
const BAR_HEIGHT: usize = 12;
const GAP: usize = 10;

/// The chart of every row with at least one value; `names` are the adapters' columns, as in the table.
pub fn svg(names: &[String], floor: &Samples, adapters: &[Samples]) -> String {
    let columns: Vec<&str> = std::iter::once("floor").chain(names.iter().map(String::as_str)).collect();
    let mut body = String::new();
    let mut y = 56;
    for row in rows() {
        let values: Vec<Option<f64>> = std::iter::once((row.floor)(floor))
            .chain(adapters.iter().map(|s| (row.adapter)(s, floor)))
            .collect();
        let largest = values.iter().flatten().copied().fold(0.0_f64, f64::max);
        if values.iter().all(Option::is_none) {
            continue;
        }
        let ours = values.get(2).copied().flatten();
        let top = y;
        for (i, value) in values.iter().enumerate() {
            let Some(v) = value else { continue };
            let width = if largest > 0.0 {
                (v.max(0.0) / largest * BAR_WIDTH as f64).round()
            } else {
                0.0
            };
            let ratio = match ours {
                Some(o) if i != 2 && o.abs() > f64::EPSILON => format!(" ({:.2}× ours)", v / o),
                _ => String::new(),
            };
            let _ = writeln!(
                body,
                r#"<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="{}"><title>{}: {}</title></rect>"#,
                COLOURS[i % COLOURS.len()],
                escape(columns[i]),
                escape(&format(Some(*v), row.unit)),
            );
            let _ = writeln!(
                body,
                r#"<text x="{}" y="{}" class="v">{} {}{}</text>"#,
                LABEL_WIDTH + BAR_WIDTH + 6,
                y + BAR_HEIGHT - 2,
                escape(columns[i]),
                escape(&format(Some(*v), row.unit)),
                escape(&ratio),
            );
            y += BAR_HEIGHT + 2;
        }
        let _ = writeln!(
            body,
            r#"<text x="{}" y="{}" class="f" text-anchor="end">{}</text>"#,
            LABEL_WIDTH - 8,
            (top + y) / 2 + 4,
            escape(row.name)
        );
        y += GAP;
    }
    let width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH;
    let mut legend = String::new();
    for (i, column) in columns.iter().enumerate() {
        let x = LABEL_WIDTH + i * 100;
        let _ = write!(
            legend,
            r#"<rect x="{x}" y="30" width="12" height="12" fill="{}"/><text x="{}" y="40" class="v">{}</text>"#,
            COLOURS[i % COLOURS.len()],
            x + 16,
            escape(column)
        );
    }
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{}" viewBox="0 0 {width} {}" font-family="sans-serif">
<style>.f {{ font-size: 12px; }} .v {{ font-size: 11px; fill: #333; }}</style>
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="20" font-size="14" font-weight="bold">lambda-adapter benchmark: each figure on its own ratio scale (0 to its largest value)</text>
{legend}
<line x1="{LABEL_WIDTH}" y1="50" x2="{LABEL_WIDTH}" y2="{y}" stroke="#000"/>
{body}</svg>
"##,
        y + 8,
        y + 8,
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
