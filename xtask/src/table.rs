//! The tables of REPORT.md and SPEED.md (Markdown, and aligned text for the terminal), and
//! how their numbers are written.

use crate::stats::{MeanStd, Spread};

/// A table: a header row and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column headers.
    pub fn new<S: AsRef<str>>(header: &[S]) -> Table {
        Table {
            header: header.iter().map(|h| h.as_ref().to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// A table with these rows.
    pub fn with_rows<S: AsRef<str>>(header: &[S], rows: Vec<Vec<String>>) -> Table {
        let mut table = Table::new(header);
        table.rows = rows;
        table
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The table in Markdown, followed by a blank line.
    pub fn markdown(&self) -> String {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut out = line(&self.header);
        out.push_str(&format!("|{}|\n", vec!["---"; self.header.len()].join("|")));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out.push('\n');
        out
    }

    /// The table as aligned text columns, for a terminal.
    pub fn text(&self) -> String {
        let all: Vec<&Vec<String>> = std::iter::once(&self.header).chain(&self.rows).collect();
        let columns = all.iter().map(|r| r.len()).max().unwrap_or(0);
        let width = |c: usize| {
            all.iter()
                .map(|r| r.get(c).map_or(0, |cell| cell.chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..columns).map(width).collect();
        all.iter()
            .map(|row| {
                row.iter()
                    .zip(&widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `1234567` as `1,234,567`.
pub fn int(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Three significant digits, thousands separated, never in exponent form.
pub fn sig(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if magnitude >= 2 {
        let rounded = x.round();
        let sign = if rounded < 0.0 { "-" } else { "" };
        return format!("{sign}{}", int(rounded.abs() as usize));
    }
    let decimals = (2 - magnitude).max(0) as usize;
    format!("{x:.decimals$}")
}

/// Four decimals (R², errors).
pub fn r4(x: f64) -> String {
    format!("{x:.4}")
}

/// A ratio: three significant digits and `x`.
pub fn times(x: f64) -> String {
    format!("{}x", sig(x))
}

/// A percentage of `whole`, three significant digits.
pub fn percent(part: f64, whole: f64) -> String {
    format!("{}%", sig(100.0 * part / whole))
}

/// A rate with a k / M suffix (`4.93 M`).
pub fn rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.1}")
    }
}

/// A repeated figure: `median (min–max)`, each written by `write`; `median (1 run)` alone.
pub fn spread(s: &Spread, write: impl Fn(f64) -> String) -> String {
    if s.runs == 1 {
        format!("{} (1 run)", write(s.median))
    } else {
        format!("{} ({}–{})", write(s.median), write(s.min), write(s.max))
    }
}

/// A figure over seeds: `mean ± std`, four decimals; `value (1 seed)` alone.
pub fn mean_std(m: &MeanStd) -> String {
    if m.n == 1 {
        format!("{} (1 seed)", r4(m.mean))
    } else {
        format!("{} ± {}", r4(m.mean), r4(m.std))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_get_thousands_separators() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1_000), "1,000");
        assert_eq!(int(1_234_567), "1,234,567");
    }

    #[test]
    fn sig_keeps_three_significant_digits() {
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(0.000_212_9), "0.000213");
        assert_eq!(sig(1.2345), "1.23");
        assert_eq!(sig(12.345), "12.3");
        assert_eq!(sig(123.45), "123");
        assert_eq!(sig(315_123.4), "315,123");
        assert_eq!(sig(-2.5), "-2.50");
        assert_eq!(sig(-1234.0), "-1,234");
    }

    #[test]
    fn rates_percentages_and_ratios() {
        assert_eq!(rate(4_930_000.0), "4.93 M");
        assert_eq!(rate(430_400.0), "430.4 k");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(percent(1.0, 8.0), "12.5%");
        assert_eq!(times(11.46), "11.5x");
        assert_eq!(
            spread(&Spread::of(&[2.0, 1.0, 3.0]), sig),
            "2.00 (1.00–3.00)"
        );
        assert_eq!(spread(&Spread::of(&[2.0]), sig), "2.00 (1 run)");
        assert_eq!(mean_std(&MeanStd::of(&[0.5, 0.7])), "0.6000 ± 0.1414");
    }

    #[test]
    fn markdown_and_text_have_the_same_cells() {
        let mut table = Table::new(&["a", "long header"]);
        table.push(vec!["1".into(), "2".into()]);
        assert_eq!(
            table.markdown(),
            "| a | long header |\n|---|---|\n| 1 | 2 |\n\n"
        );
        assert_eq!(table.text(), "a | long header\n1 | 2");
    }
}
