//! The box of inputs a question is asked over, and the `NAME=VALUE,...` lists that set it.

use crate::{Result, SurrogateError};
use serde::Serialize;

/// One `NAME=LOW:HIGH` entry of `--ranges`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSpec {
    /// The input's name.
    pub name: String,
    /// Its low end.
    pub low: f64,
    /// Its high end.
    pub high: f64,
}

/// Splits `NAME=VALUE,NAME=VALUE` into its pairs (the last `=` of an entry separates them,
/// so that a name may hold one). `option` names the flag in errors.
pub fn parse_assignments(option: &'static str, text: &str) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for entry in text.split(',').map(str::trim) {
        let Some((name, value)) = entry.rsplit_once('=') else {
            return Err(SurrogateError::Syntax {
                option,
                entry: entry.into(),
                expected: "NAME=VALUE",
            });
        };
        let name = name.trim().to_string();
        if out.iter().any(|(n, _)| *n == name) {
            return Err(SurrogateError::Duplicate { option, name });
        }
        out.push((name, value.trim().to_string()));
    }
    Ok(out)
}

fn number(option: &'static str, entry: &str, text: &str, expected: &'static str) -> Result<f64> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| SurrogateError::Syntax {
            option,
            entry: entry.into(),
            expected,
        })
}

impl RangeSpec {
    /// One range, checked: both ends finite, `low` below `high`.
    pub fn new(name: impl Into<String>, low: f64, high: f64) -> Result<RangeSpec> {
        let name = name.into();
        if !(low.is_finite() && high.is_finite() && low < high) {
            return Err(SurrogateError::BadRange { name, low, high });
        }
        Ok(RangeSpec { name, low, high })
    }

    /// Checks a list of `(name, low, high)`: each range, and no input named twice.
    pub fn checked_list(
        entries: impl IntoIterator<Item = (String, f64, f64)>,
    ) -> Result<Vec<RangeSpec>> {
        let mut out: Vec<RangeSpec> = Vec::new();
        for (name, low, high) in entries {
            if out.iter().any(|s| s.name == name) {
                return Err(SurrogateError::Duplicate {
                    option: "--ranges",
                    name,
                });
            }
            out.push(RangeSpec::new(name, low, high)?);
        }
        Ok(out)
    }

    /// Parses `--ranges`: `x1=LOW:HIGH,x2=LOW:HIGH,...`.
    pub fn parse_list(text: &str) -> Result<Vec<RangeSpec>> {
        const EXPECTED: &str = "NAME=LOW:HIGH, e.g. x1=0:1";
        parse_assignments("--ranges", text)?
            .into_iter()
            .map(|(name, value)| {
                let entry = format!("{name}={value}");
                let Some((low, high)) = value.split_once(':') else {
                    return Err(SurrogateError::Syntax {
                        option: "--ranges",
                        entry,
                        expected: EXPECTED,
                    });
                };
                let low = number("--ranges", &entry, low, EXPECTED)?;
                let high = number("--ranges", &entry, high, EXPECTED)?;
                RangeSpec::new(name, low, high)
            })
            .collect()
    }
}

/// A box: a named range per input, in the model's input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bounds {
    names: Vec<String>,
    low: Vec<f64>,
    high: Vec<f64>,
}

impl Bounds {
    /// The box of `specs`, in their order (a design's inputs are the ones it names).
    pub fn from_specs(specs: &[RangeSpec]) -> Result<Bounds> {
        if specs.is_empty() {
            return Err(SurrogateError::InvalidParam {
                name: "--ranges",
                value: "(none)".into(),
                valid: "at least one NAME=LOW:HIGH",
            });
        }
        Ok(Bounds {
            names: specs.iter().map(|s| s.name.clone()).collect(),
            low: specs.iter().map(|s| s.low).collect(),
            high: specs.iter().map(|s| s.high).collect(),
        })
    }

    /// A model's box: each input over its training range (`domain`, as `(min, max)`),
    /// replaced by `specs` where they name it. Every spec must name an input of the model;
    /// without a domain, every input needs one.
    pub fn for_model(
        names: &[String],
        domain: Option<(&[f64], &[f64])>,
        specs: &[RangeSpec],
    ) -> Result<Bounds> {
        for spec in specs {
            if !names.contains(&spec.name) {
                return Err(SurrogateError::UnknownInput {
                    option: "--ranges",
                    name: spec.name.clone(),
                    known: names.join(","),
                });
            }
        }
        let mut low = Vec::with_capacity(names.len());
        let mut high = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let (lo, hi) = match (specs.iter().find(|s| &s.name == name), domain) {
                (Some(spec), _) => (spec.low, spec.high),
                (None, Some((min, max))) => (min[i], max[i]),
                (None, None) => return Err(SurrogateError::MissingRange(name.clone())),
            };
            // A training column that never varied gives an empty range: it is held fixed.
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return Err(SurrogateError::BadRange {
                    name: name.clone(),
                    low: lo,
                    high: hi,
                });
            }
            low.push(lo);
            high.push(hi);
        }
        Ok(Bounds {
            names: names.to_vec(),
            low,
            high,
        })
    }

    /// [`for_model`](Self::for_model) of a fivedreg model and a `--ranges` text (if any).
    pub fn of_model(model: &fivedreg::Interpolator, ranges: Option<&str>) -> Result<Bounds> {
        let specs = match ranges {
            Some(text) => RangeSpec::parse_list(text)?,
            None => Vec::new(),
        };
        Bounds::of_model_specs(model, &specs)
    }

    /// [`for_model`](Self::for_model) of a fivedreg model and checked ranges.
    pub fn of_model_specs(model: &fivedreg::Interpolator, specs: &[RangeSpec]) -> Result<Bounds> {
        let domain = model.domain().map(|d| (d.min(), d.max()));
        Bounds::for_model(model.feature_names(), domain, specs)
    }

    /// Number of inputs.
    pub fn dim(&self) -> usize {
        self.names.len()
    }
    /// The inputs' names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Low ends.
    pub fn low(&self) -> &[f64] {
        &self.low
    }
    /// High ends.
    pub fn high(&self) -> &[f64] {
        &self.high
    }
    /// The middle of each range (the median of a uniform distribution over it).
    pub fn middle(&self) -> Vec<f64> {
        self.low
            .iter()
            .zip(&self.high)
            .map(|(l, h)| l + 0.5 * (h - l))
            .collect()
    }
    /// Maps row-major points of the unit cube onto the box, in place.
    pub fn scale(&self, unit: &mut [f64]) {
        let d = self.dim();
        for row in unit.chunks_exact_mut(d) {
            for ((v, l), h) in row.iter_mut().zip(&self.low).zip(&self.high) {
                *v = l + *v * (h - l);
            }
        }
    }
    /// The index of input `name`.
    pub fn index_of(&self, option: &'static str, name: &str) -> Result<usize> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| SurrogateError::UnknownInput {
                option,
                name: name.into(),
                known: self.names.join(","),
            })
    }
    /// A point at the middle of the box but for the inputs `--at` sets
    /// (`NAME=VALUE,...`, finite values).
    pub fn point_at(&self, at: Option<&str>) -> Result<Vec<f64>> {
        let mut values = Vec::new();
        if let Some(text) = at {
            for (name, value) in parse_assignments("--at", text)? {
                let entry = format!("{name}={value}");
                let v = number("--at", &entry, &value, AT_EXPECTED)?;
                values.push((name, v));
            }
        }
        self.point_with(&values)
    }

    /// A point at the middle of the box but for the inputs `values` set (each named once,
    /// an input of the box, with a finite value): `--at` already parsed, or the `at` of a
    /// request.
    pub fn point_with(&self, values: &[(String, f64)]) -> Result<Vec<f64>> {
        let mut point = self.middle();
        for (i, (name, v)) in values.iter().enumerate() {
            if values[..i].iter().any(|(n, _)| n == name) {
                return Err(SurrogateError::Duplicate {
                    option: "--at",
                    name: name.clone(),
                });
            }
            let k = self.index_of("--at", name)?;
            if !v.is_finite() {
                return Err(SurrogateError::Syntax {
                    option: "--at",
                    entry: format!("{name}={v}"),
                    expected: AT_EXPECTED,
                });
            }
            point[k] = *v;
        }
        Ok(point)
    }

    /// The ranges as a map of input name to `[low, high]`, in the inputs' order (how the
    /// command line's and the server's JSON show them).
    pub fn ranges(&self) -> Ranges<'_> {
        Ranges(self)
    }
}

/// What `--at` entries look like.
const AT_EXPECTED: &str = "NAME=VALUE with a finite value";

/// [`Bounds::ranges`]: serialises as `{"x1": [low, high], ...}` in the inputs' order.
#[derive(Debug, Clone, Copy)]
pub struct Ranges<'a>(&'a Bounds);

impl Serialize for Ranges<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let b = self.0;
        let mut map = serializer.serialize_map(Some(b.dim()))?;
        for (i, name) in b.names.iter().enumerate() {
            map.serialize_entry(name, &[b.low[i], b.high[i]])?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["x1".into(), "x2".into()]
    }

    #[test]
    fn ranges_replace_the_domain_input_by_input() {
        let specs = RangeSpec::parse_list("x2 = -1:2.5").unwrap();
        let b = Bounds::for_model(&names(), Some((&[0.0, 0.0], &[1.0, 1.0])), &specs).unwrap();
        assert_eq!(b.low(), &[0.0, -1.0]);
        assert_eq!(b.high(), &[1.0, 2.5]);
        assert_eq!(b.middle(), vec![0.5, 0.75]);
        assert_eq!(b.point_at(Some("x1=3")).unwrap(), vec![3.0, 0.75]);
    }

    #[test]
    fn bad_lists_are_refused_with_the_option_named() {
        let text = |r: Result<Vec<RangeSpec>>| r.unwrap_err().to_string();
        assert!(text(RangeSpec::parse_list("x1")).contains("--ranges entry \"x1\""));
        assert!(text(RangeSpec::parse_list("x1=1")).contains("NAME=LOW:HIGH"));
        assert!(text(RangeSpec::parse_list("x1=2:1")).contains("low below high"));
        assert!(text(RangeSpec::parse_list("x1=0:inf")).contains("finite"));
        assert!(text(RangeSpec::parse_list("x1=0:1,x1=0:2")).contains("twice"));
        let specs = RangeSpec::parse_list("y=0:1").unwrap();
        let e = Bounds::for_model(&names(), None, &specs).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown input \"y\" in --ranges: the model's inputs are x1,x2"
        );
        let e = Bounds::for_model(&names(), None, &[]).unwrap_err();
        assert!(e.to_string().contains("no range for input \"x1\""));
        let b = Bounds::from_specs(&RangeSpec::parse_list("x1=0:1").unwrap()).unwrap();
        assert!(b.point_at(Some("x9=1")).is_err());
        assert!(b.point_at(Some("x1=nan")).is_err());
    }
}
