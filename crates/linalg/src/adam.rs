//! Adam's element-wise update, as scikit-learn applies it.

/// The scalars of one Adam step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    /// Bias-corrected step size: `lr · sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ)`.
    pub lr_t: f32,
    /// First-moment decay β₁.
    pub beta1: f32,
    /// Second-moment decay β₂.
    pub beta2: f32,
    /// Added to the uncorrected `sqrt(v)` (scikit-learn's placement, not PyTorch's).
    pub epsilon: f32,
}

/// One Adam step over parallel slices:
/// `m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; p −= lr_t · m / (sqrt(v) + ε)`.
///
/// Plain multiplies and adds (no FMA), so the result is the same on every x86-64 machine.
///
/// # Panics
/// When the slices differ in length.
pub fn adam_update(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    step: AdamStep,
) {
    let n = params.len();
    assert!(
        grads.len() == n && m.len() == n && v.len() == n,
        "adam_update: slices differ in length"
    );
    let (b1, b2) = (step.beta1, step.beta2);
    let (c1, c2) = (1.0 - b1, 1.0 - b2);
    for (((p, &g), m), v) in params
        .iter_mut()
        .zip(grads)
        .zip(m.iter_mut())
        .zip(v.iter_mut())
    {
        *m = b1 * *m + c1 * g;
        *v = b2 * *v + c2 * (g * g);
        *p -= step.lr_t * *m / (v.sqrt() + step.epsilon);
    }
}
