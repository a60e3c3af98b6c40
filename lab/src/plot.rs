//! SVG plots (plotters, SVG backend only): bar charts and line charts, on
//! logarithmic value axes.
//!
//! A value that is missing (a workload a scheme cannot run) or not positive
//! (zero cannot sit on a log scale) is not drawn; bar charts print "0" or
//! "n/a" in its place, and the report's tables hold every value.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::LabError;

/// An RGB colour.
pub type Rgb = (u8, u8, u8);

/// A fixed palette, so a scheme or peer has the same colour in every plot.
pub const PALETTE: [Rgb; 12] = from_hex([
    0x1f77b4, 0x2ca02c, 0x17becf, 0x9467bd, 0x8c564b, 0xbcbd22, 0x7f7f7f, 0xe377c2, 0xd62728,
    0xff7f0e, 0x000000, 0xaec7e8,
]);

/// `0xRRGGBB` colours as RGB triples.
const fn from_hex<const N: usize>(hex: [u32; N]) -> [Rgb; N] {
    let mut out = [(0, 0, 0); N];
    let mut i = 0;
    while i < N {
        let c = hex[i];
        out[i] = ((c >> 16) as u8, (c >> 8) as u8, c as u8);
        i += 1;
    }
    out
}

/// The palette colour number `i` (cycling).
#[must_use]
pub fn color(i: usize) -> Rgb {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or((0, 0, 0))
}

/// One bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The label under the bar.
    pub label: String,
    /// The value; `None` when there is none (printed "n/a").
    pub value: Option<f64>,
    /// The bar's colour.
    pub color: Rgb,
}

/// A bar chart panel.
#[derive(Clone, Debug, PartialEq)]
pub struct BarPanel {
    /// The panel's title.
    pub title: String,
    /// The value axis' description.
    pub y_label: String,
    /// The bars, left to right.
    pub bars: Vec<Bar>,
}

impl BarPanel {
    /// A panel titled `title` with the value axis `y_label`.
    #[must_use]
    pub fn new(title: &str, y_label: &str, bars: Vec<Bar>) -> Self {
        Self {
            title: title.to_owned(),
            y_label: y_label.to_owned(),
            bars,
        }
    }
}

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend entry.
    pub name: String,
    /// The line's colour.
    pub color: Rgb,
    /// `(x, y)` points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A line chart panel (log–log).
#[derive(Clone, Debug, PartialEq)]
pub struct LinePanel {
    /// The panel's title.
    pub title: String,
    /// The x axis' description.
    pub x_label: String,
    /// The y axis' description.
    pub y_label: String,
    /// Ticks of the x axis at powers of two (`2^k`) rather than of ten.
    pub x_base2: bool,
    /// The lines.
    pub series: Vec<Series>,
}

fn pe(e: impl std::fmt::Display) -> LabError {
    LabError::Plot(e.to_string())
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// A compact number: `1.5k`, `2.3M`, `0.25`, `12`.
#[must_use]
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1e9 {
        trim(format!("{:.2}", v / 1e9)) + "G"
    } else if a >= 1e6 {
        trim(format!("{:.2}", v / 1e6)) + "M"
    } else if a >= 1e4 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        decimals(v)
    }
}

/// `v` with up to two decimals (three below 1), trailing zeros dropped:
/// `2.5`, `0.125`.
pub(crate) fn decimals(v: f64) -> String {
    trim(if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    })
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A value axis label: powers of two as `2^k` (for chain lengths), other
/// values compact.
fn axis_label(v: f64) -> String {
    let r = v.round();
    if r >= 64.0 && (v - r).abs() <= 1e-9 * v && (r as u64).is_power_of_two() {
        format!("2^{}", (r as u64).trailing_zeros())
    } else {
        compact(v)
    }
}

/// `[10^⌊log10 lo⌋, 10^⌈log10 hi⌉]` around the positive values, at least a
/// decade wide.
fn log_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo_value, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo_value.is_finite() {
        return None;
    }
    let lo = lo_value;
    let mut lo = 10f64.powf(lo.log10().floor());
    // A value on the lowest decade line would sit on the axis: go one lower.
    if values_min_near(lo, lo_value) {
        lo /= 10.0;
    }
    let mut hi = 10f64.powf((hi * 1.5).log10().ceil());
    if hi <= lo {
        hi = lo * 10.0;
    }
    Some((lo, hi))
}

/// Whether the smallest value is within a factor 1.5 of the decade line
/// below it.
fn values_min_near(decade: f64, min: f64) -> bool {
    min < decade * 1.5
}

fn no_data(area: &DrawingArea<SVGBackend<'_>, Shift>, title: &str) -> Result<(), LabError> {
    let (w, h) = area.dim_in_pixel();
    let half = |v: u32| i32::try_from(v / 2).unwrap_or(0);
    area.draw(&Text::new(
        format!("{title}: no data"),
        (half(w) - 80, half(h)),
        ("sans-serif", 16).into_font(),
    ))
    .map_err(pe)
}

/// A panel's chart: its caption, margin and label areas (`x_labels` pixels
/// high under the x axis).
fn builder<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    x_labels: u32,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(area);
    b.caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(x_labels)
        .y_label_area_size(70);
    b
}

/// Whether `(x, y)` can sit on log–log axes.
fn drawable(&(x, y): &(f64, f64)) -> bool {
    x > 0.0 && y > 0.0 && x.is_finite() && y.is_finite()
}

/// Writes a bar chart (panels stacked top to bottom; log value axis) to
/// `path`.
///
/// # Errors
///
/// [`LabError::Plot`] if plotters cannot draw or write the file.
pub fn bars(path: &Path, title: &str, panels: &[BarPanel]) -> Result<(), LabError> {
    let rows = panels.len().max(1);
    let height = u32::try_from(rows).unwrap_or(1) * 330 + 50;
    let root = SVGBackend::new(path, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(pe)?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(pe)?;
    let areas = root.split_evenly((rows, 1));
    for (area, panel) in areas.iter().zip(panels) {
        bar_panel(area, panel)?;
    }
    root.present().map_err(pe)
}

fn bar_panel(area: &DrawingArea<SVGBackend<'_>, Shift>, panel: &BarPanel) -> Result<(), LabError> {
    let Some((lo, hi)) = log_bounds(panel.bars.iter().filter_map(|b| b.value)) else {
        return no_data(area, &panel.title);
    };
    let n = panel.bars.len();
    let mut chart = builder(area, &panel.title, 36)
        .build_cartesian_2d(
            (0..n.saturating_sub(1)).into_segmented(),
            (lo..hi).log_scale(),
        )
        .map_err(pe)?;
    let labels: Vec<&str> = panel.bars.iter().map(|b| b.label.as_str()).collect();
    let x_fmt = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => labels.get(*i).map_or_else(String::new, |s| (*s).to_owned()),
        _ => String::new(),
    };
    let y_fmt = |v: &f64| compact(*v);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .x_labels(n)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc(panel.y_label.as_str())
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(pe)?;
    chart
        .draw_series(panel.bars.iter().enumerate().filter_map(|(i, b)| {
            let v = b.value.filter(|v| *v > 0.0)?;
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), lo),
                    (SegmentValue::Exact(i + 1), v),
                ],
                rgb(b.color).filled(),
            );
            r.set_margin(0, 0, 8, 8);
            Some(r)
        }))
        .map_err(pe)?;
    let style =
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart
        .draw_series(panel.bars.iter().enumerate().map(|(i, b)| {
            let (text, y) = match b.value {
                Some(v) if v > 0.0 => (compact(v), v),
                Some(_) => ("0".to_owned(), lo),
                None => ("n/a".to_owned(), lo),
            };
            Text::new(text, (SegmentValue::CenterOf(i), y), style.clone())
        }))
        .map_err(pe)?;
    Ok(())
}

/// Writes line charts (panels side by side, log–log, one shared legend on
/// the right) to `path`.
///
/// # Errors
///
/// [`LabError::Plot`] if plotters cannot draw or write the file.
pub fn lines(path: &Path, title: &str, panels: &[LinePanel]) -> Result<(), LabError> {
    let cols = panels.len().max(1);
    let width = u32::try_from(cols).unwrap_or(1) * 560 + 200;
    let root = SVGBackend::new(path, (width, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(pe)?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(pe)?;
    let (plots, legend) = root.split_horizontally(width - 200);
    let areas = plots.split_evenly((1, cols));
    for (area, panel) in areas.iter().zip(panels) {
        line_panel(area, panel)?;
    }
    // The shared legend: every series name once, in first-seen order.
    let mut seen: Vec<(&str, Rgb)> = Vec::new();
    for s in panels.iter().flat_map(|p| &p.series) {
        if !seen.iter().any(|(n, _)| *n == s.name) {
            seen.push((&s.name, s.color));
        }
    }
    for (i, (name, c)) in seen.iter().enumerate() {
        let y = 60 + i32::try_from(i).unwrap_or(0) * 24;
        legend
            .draw(&PathElement::new(
                vec![(10, y), (40, y)],
                rgb(*c).stroke_width(3),
            ))
            .map_err(pe)?;
        legend
            .draw(&Text::new(
                (*name).to_owned(),
                (48, y - 8),
                ("sans-serif", 14).into_font(),
            ))
            .map_err(pe)?;
    }
    root.present().map_err(pe)
}

fn line_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &LinePanel,
) -> Result<(), LabError> {
    let points = || {
        panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(drawable)
    };
    let (Some((ylo, yhi)), Some(_)) = (
        log_bounds(points().map(|p| p.1)),
        log_bounds(points().map(|p| p.0)),
    ) else {
        return no_data(area, &panel.title);
    };
    let (xlo, xhi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (x, _)| {
        (lo.min(x), hi.max(x))
    });
    let (xlo, xhi) = if xhi > xlo {
        (xlo / 1.3, xhi * 1.3)
    } else {
        (xlo / 2.0, xhi * 2.0)
    };
    let mut chart = builder(area, &panel.title, 40)
        .build_cartesian_2d(
            (xlo..xhi)
                .log_scale()
                .base(if panel.x_base2 { 2.0 } else { 10.0 }),
            (ylo..yhi).log_scale(),
        )
        .map_err(pe)?;
    let x_fmt = |v: &f64| axis_label(*v);
    let y_fmt = |v: &f64| compact(*v);
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_labels(8)
        .y_labels(8)
        .light_line_style(TRANSPARENT)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(pe)?;
    for s in &panel.series {
        let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(drawable).collect();
        let c = rgb(s.color);
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
            .map_err(pe)?;
        chart
            .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
            .map_err(pe)?;
    }
    Ok(())
}
