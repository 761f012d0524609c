//! scikit-learn's no-improvement counting rule, on a score to maximise (validation R²) or a
//! loss to minimise (training loss).

/// What one observation did to the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// The value is strictly the best so far (its weights should be kept).
    pub is_best: bool,
    /// The no-improvement count now exceeds the patience: training should stop.
    pub stop: bool,
}

/// The counting rule of `MLPRegressor._update_no_improvement_count`:
/// - validation score: `count += 1` if `score < best + tol`, else `count = 0`; the best is
///   replaced only by a strictly greater score;
/// - training loss: `count += 1` if `loss > best - tol`, else `count = 0`; the best is
///   replaced only by a strictly smaller loss;
///
/// and training stops once `count > patience`.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStopping {
    maximize: bool,
    tol: f64,
    patience: usize,
    best: f64,
    count: usize,
}

impl EarlyStopping {
    /// The rule on a validation score (higher is better).
    pub fn on_score(tol: f64, patience: usize) -> EarlyStopping {
        EarlyStopping {
            maximize: true,
            tol,
            patience,
            best: f64::NEG_INFINITY,
            count: 0,
        }
    }

    /// The rule on a training loss (lower is better).
    pub fn on_loss(tol: f64, patience: usize) -> EarlyStopping {
        EarlyStopping {
            maximize: false,
            tol,
            patience,
            best: f64::INFINITY,
            count: 0,
        }
    }

    /// Records one epoch's value.
    pub fn observe(&mut self, value: f64) -> Observation {
        let (no_improvement, is_best) = if self.maximize {
            (value < self.best + self.tol, value > self.best)
        } else {
            (value > self.best - self.tol, value < self.best)
        };
        if no_improvement {
            self.count += 1;
        } else {
            self.count = 0;
        }
        if is_best {
            self.best = value;
        }
        Observation {
            is_best,
            stop: self.count > self.patience,
        }
    }

    /// The best value seen (±infinity before any).
    pub fn best(&self) -> f64 {
        self.best
    }

    /// Epochs in a row without improvement.
    pub fn count(&self) -> usize {
        self.count
    }
}
