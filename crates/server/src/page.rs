//! The browser page, built into the binary: plain HTML, CSS and JavaScript with no external
//! resource, so it works offline and needs no build step.

use crate::hyperparameters::{hyperparameters, Hyperparameter};
use crate::models::ModelInfo;
use crate::state::{read, AppState};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;

const INDEX_HTML: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const STYLE_CSS: &str = include_str!("../assets/style.css");
const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");

/// Only this server's own resources may load; no inline script runs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; \
     style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // A new binary may bring a new page: always revalidate.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `GET /`: the page, with its lists and the options' sliders filled in on the server, so
/// that it means something before its script has run (which then takes them over). A
/// server with a token lists no data set or model here: the page is served to anyone.
pub async fn index(State(state): State<AppState>) -> Response {
    let listed = state.config().token.is_none();
    let (datasets, mut models) = if listed {
        let datasets: Vec<crate::DatasetInfo> =
            read(&state.inner.datasets).values().cloned().collect();
        let models: Vec<ModelInfo> = read(&state.inner.models)
            .values()
            .map(|m| m.info().clone())
            .collect();
        (datasets, models)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut datasets = datasets;
    datasets.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
    models.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
    let html = render_index(&datasets, &models, listed);
    asset("text/html; charset=utf-8", html)
}

/// `text` with the characters that mean something in HTML escaped (for text and for
/// attribute values in double quotes).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as the page's script shows it: the shortest text that reads back as it.
fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "–".into()
    }
}

/// R² with enough digits to tell models apart, as the script's `fmtR2`: six decimals, more
/// while they round to 1.
pub(crate) fn format_r2(x: f64) -> String {
    if !x.is_finite() || x < 0.0 {
        return number(x);
    }
    let mut digits = 6;
    while digits < 12 && x != 1.0 && format!("{x:.digits$}") == format!("{:.digits$}", 1.0) {
        digits += 1;
    }
    format!("{x:.digits$}")
}

fn option(out: &mut String, value: &str, label: &str, selected: bool) {
    let _ = write!(
        out,
        "<option value=\"{}\"{}>{}</option>",
        escape(value),
        if selected { " selected" } else { "" },
        escape(label)
    );
}

/// A placeholder option that says why a list is empty.
fn empty_option(out: &mut String, why: &str) {
    let _ = write!(
        out,
        "<option value=\"\" disabled selected>{}</option>",
        escape(why)
    );
}

/// The model list's text for `m`, as the script writes it.
fn model_label(m: &ModelInfo) -> String {
    format!(
        "{} · R² {} · {}",
        m.name,
        m.metrics
            .map_or_else(|| "–".to_string(), |r| format_r2(r.r2)),
        m.id
    )
}

/// The slider position (0..=1000) of `value`, as the script's `toPosition`.
fn slider_position(spec: &Hyperparameter, value: f64) -> i64 {
    let Some(s) = &spec.slider else { return 0 };
    let v = value.clamp(s.min, s.max);
    let t = if s.log {
        (v.ln() - s.min.ln()) / (s.max.ln() - s.min.ln())
    } else {
        (v - s.min) / (s.max - s.min)
    };
    (t * 1000.0).round() as i64
}

/// The options' controls as the script builds them, at their defaults.
fn render_params(out: &mut String) {
    for spec in hyperparameters().options {
        let name = escape(&spec.name);
        let _ = write!(
            out,
            "<label title=\"{}\">{}</label>",
            escape(&spec.flag),
            escape(&spec.name.replace('_', " "))
        );
        let default_text = match &spec.default {
            serde_json::Value::Array(values) => values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(","),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        if spec.kind == "choice" {
            out.push_str("<div class=\"wide\"><select id=\"opt-");
            out.push_str(&name);
            out.push_str("\">");
            for choice in &spec.choices {
                option(out, choice, choice, *choice == default_text);
            }
            out.push_str("</select></div>");
        } else if spec.kind == "bool" {
            let _ = write!(
                out,
                "<div class=\"wide\"><input type=\"checkbox\" id=\"opt-{name}\"{}></div>",
                if spec.default == serde_json::Value::Bool(true) {
                    " checked"
                } else {
                    ""
                }
            );
        } else if spec.kind.ends_with("_list") || spec.slider.is_none() {
            let kind = if spec.kind.ends_with("_list") {
                "text"
            } else {
                "number"
            };
            let _ = write!(
                out,
                "<div class=\"wide\"><input type=\"{kind}\" id=\"opt-{name}\" value=\"{}\"></div>",
                escape(&default_text)
            );
        } else {
            let value = spec.default.as_f64();
            let position = slider_position(&spec, value.unwrap_or(200.0));
            let _ = write!(
                out,
                "<input type=\"range\" min=\"0\" max=\"1000\" id=\"slider-{name}\" value=\"{position}\">\
                 <input type=\"number\" step=\"any\" id=\"opt-{name}\" {}>",
                match value {
                    Some(v) => format!("value=\"{}\"", escape(&number(v))),
                    None => "placeholder=\"auto\"".into(),
                }
            );
        }
        let _ = write!(
            out,
            "<span></span><div class=\"meaning\" id=\"meaning-{name}\">{}</div>",
            escape(&spec.meaning)
        );
    }
}

/// The page with its lists filled in: the data sets (the newest selected, its columns as
/// targets), the models (the newest selected, its inputs at their means) and the options.
fn render_index(datasets: &[crate::DatasetInfo], models: &[ModelInfo], listed: bool) -> String {
    let why = |none: &'static str| {
        if listed {
            none
        } else {
            "give the token to list them"
        }
    };
    let mut dataset_options = String::new();
    let mut target_options = String::new();
    match datasets.last() {
        Some(newest) => {
            for d in datasets {
                let label = format!("{} · {} rows · {}", d.name, d.rows, d.id);
                option(&mut dataset_options, &d.id, &label, d.id == newest.id);
            }
            let last = newest.columns.len().saturating_sub(1);
            for (i, c) in newest.columns.iter().enumerate() {
                option(&mut target_options, &c.name, &c.name, i == last);
            }
        }
        None => {
            empty_option(&mut dataset_options, why("no data set yet: upload a CSV"));
            empty_option(&mut target_options, why("upload a data set first"));
        }
    }
    let mut model_options = String::new();
    let mut slice_options = String::new();
    let mut point_inputs = String::new();
    match models.last() {
        Some(newest) => {
            for m in models {
                option(
                    &mut model_options,
                    &m.id,
                    &model_label(m),
                    m.id == newest.id,
                );
            }
            for (i, f) in newest.features.iter().enumerate() {
                option(&mut slice_options, f, f, i == 0);
                let mean = newest
                    .feature_means
                    .as_ref()
                    .and_then(|means| means.get(i))
                    .map_or(0.0, |m| *m);
                let _ = write!(
                    point_inputs,
                    "<label>{}<input type=\"number\" step=\"any\" required name=\"{}\" value=\"{}\"></label>",
                    escape(f),
                    escape(f),
                    escape(&number(mean))
                );
            }
        }
        None => {
            empty_option(&mut model_options, why("no model yet: train or upload one"));
            empty_option(&mut slice_options, why("no model yet"));
        }
    }
    let mut params = String::new();
    render_params(&mut params);
    INDEX_HTML
        .replace("<!--datasets-->", &dataset_options)
        .replace("<!--targets-->", &target_options)
        .replace("<!--params-->", &params)
        .replace("<!--models-->", &model_options)
        .replace("<!--point-inputs-->", &point_inputs)
        .replace("<!--slice-inputs-->", &slice_options)
}

/// `GET /app.js`.
pub async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// `GET /style.css`.
pub async fn style_css() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

/// `GET /favicon.svg`.
pub async fn favicon() -> Response {
    asset("image/svg+xml", FAVICON_SVG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn r2_has_digits_enough_to_tell_models_apart() {
        assert_eq!(format_r2(0.99998), "0.999980");
        assert_eq!(format_r2(0.9999999), "0.9999999");
        assert_eq!(format_r2(0.5), "0.500000");
        assert_eq!(format_r2(1.0), "1.000000");
    }

    #[test]
    fn every_placeholder_is_filled() {
        let html = render_index(&[], &[], true);
        assert!(!html.contains("<!--"), "a placeholder is left");
        assert!(html.contains("id=\"slider-learning_rate\""));
        assert!(html.contains("no model yet"));
    }
}
