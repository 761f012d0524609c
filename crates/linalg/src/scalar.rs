//! Exact scalar helpers shared by the crates above (scalers and metrics rescale by powers
//! of two so that rescaling loses no bits).

/// `x * 2^e`, exact whenever the result is a normal number (in steps, since `2^e` alone
/// may not be representable).
pub fn times_power_of_two(mut x: f64, mut e: i32) -> f64 {
    let step = 2f64.powi(1000);
    while e > 1000 {
        x *= step;
        e -= 1000;
    }
    while e < -1000 {
        x /= step;
        e += 1000;
    }
    x * 2f64.powi(e)
}

#[cfg(test)]
mod tests {
    use super::times_power_of_two;

    /// The plain reference: the same mantissa with its exponent field moved by `e`.
    fn by_exponent_bits(x: f64, e: i32) -> f64 {
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32 + e;
        assert!((1..0x7ff).contains(&exponent), "not a normal result");
        f64::from_bits((bits & !(0x7ff << 52)) | ((exponent as u64) << 52))
    }

    #[test]
    fn matches_moving_the_exponent_for_every_normal_result() {
        for x in [1.0, 1.5, -1.75, 1.0 + f64::EPSILON, 3.0e-300, 7.0e300] {
            let exponent = ((x.to_bits() >> 52) & 0x7ff) as i32;
            for e in (1 - exponent)..(0x7ff - exponent) {
                assert_eq!(
                    times_power_of_two(x, e),
                    by_exponent_bits(x, e),
                    "{x} * 2^{e}"
                );
            }
        }
    }

    #[test]
    fn overflows_and_underflows_like_the_product() {
        assert_eq!(times_power_of_two(1.0, 2000), f64::INFINITY);
        assert_eq!(times_power_of_two(-1.0, 2000), f64::NEG_INFINITY);
        assert_eq!(times_power_of_two(1.0, -2000), 0.0);
        assert_eq!(times_power_of_two(0.0, 500), 0.0);
    }
}
