//! The one seeded randomness of fivedreg.
//!
//! Every random number fivedreg draws — generated data, the train/validation/test split,
//! initial weights, minibatch order, ensemble folds and member seeds — comes from a ChaCha8
//! stream made here from the user's one seed. ChaCha8 is a documented, portable algorithm
//! (`rand_chacha`), and the key, the bounded-integer sampling and the shuffle are spelled out
//! in this crate rather than taken from `rand`'s conveniences (whose expansions are not
//! promised to stay the same), so a seed gives the same numbers on every machine, with any
//! version of `rand`, and whatever the number of threads.
//!
//! | purpose | [`Stream`] |
//! |---|---|
//! | synthetic data (`generate`) | [`Stream::Generate`] |
//! | the split's shuffle | [`Stream::Split`] |
//! | initial weights (Glorot) | [`Stream::Init`] |
//! | minibatch order | [`Stream::Minibatch`] |
//! | ensemble folds | [`Stream::Folds`] |
//! | seeds derived for ensemble members and candidates ([`derive_seed`]) | [`Stream::Derive`] |
//! | the surrogate toolkit's designs: Sobol' scrambling, Latin hypercube permutations | [`Stream::Design`] |
//! | the surrogate toolkit's bootstrap resamples (Sobol' index intervals) | [`Stream::Bootstrap`] |

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub use rand_chacha::rand_core::RngCore;
use rand_chacha::rand_core::SeedableRng;
pub use rand_chacha::ChaCha8Rng;

/// What a stream of random numbers is for: each purpose has its own ChaCha stream, so that
/// data generated and then split with the same seed do not reuse the same numbers, and the
/// minibatch order does not depend on how many numbers the initialisation drew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Synthetic data sets.
    Generate = 0,
    /// The shuffle of the train/validation/test split.
    Split = 1,
    /// Initial network weights.
    Init = 2,
    /// Minibatch order, one permutation per epoch.
    Minibatch = 3,
    /// Assignment of rows to the folds of an ensemble or a cross-validation.
    Folds = 4,
    /// Seeds derived from the user's seed ([`derive_seed`]).
    Derive = 5,
    /// The rows each boosted tree is grown on.
    Trees = 6,
    /// Designs of the surrogate toolkit: the scrambling of Sobol' points and the
    /// permutations and jitter of Latin hypercubes (fivedreg-surrogate).
    Design = 7,
    /// Bootstrap resamples of the surrogate toolkit (the Sobol' indices' intervals).
    Bootstrap = 8,
}

/// The random numbers of `seed` for one purpose: ChaCha8 keyed by the seed's 8 little-endian
/// bytes followed by 24 zero bytes, on the purpose's own stream.
pub fn rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream as u64);
    rng
}

/// The `index`-th seed derived from `seed` (for ensemble member `index`, say): the
/// `index`-th 64-bit word of `seed`'s [`Stream::Derive`]. Distinct indices give independent
/// seeds; the same `(seed, index)` always gives the same one.
pub fn derive_seed(seed: u64, index: u64) -> u64 {
    let mut rng = rng(seed, Stream::Derive);
    // Two 32-bit words per u64.
    rng.set_word_pos(u128::from(index) * 2);
    rng.next_u64()
}

/// A uniform integer in `0..bound` without bias (Lemire's multiply-shift with rejection).
///
/// # Panics
/// If `bound` is 0 (there is no integer in `0..0`); callers pass lengths they checked.
pub fn below(rng: &mut impl RngCore, bound: u64) -> u64 {
    assert!(bound > 0, "below(0) has no value");
    let mut m = u128::from(rng.next_u64()) * u128::from(bound);
    // A product whose low half falls under 2^64 mod `bound` would make some results more
    // likely: it is drawn again. That threshold is below `bound`, so it is only computed (a
    // 64-bit division, most of a shuffle's time on some CPUs) when the low half is below
    // `bound`, which is rare (Lemire's "nearly divisionless" form). The draws and results
    // are those of testing every product against the threshold.
    if (m as u64) < bound {
        let threshold = bound.wrapping_neg() % bound;
        while (m as u64) < threshold {
            m = u128::from(rng.next_u64()) * u128::from(bound);
        }
    }
    (m >> 64) as u64
}

/// A uniform `f64` in `[0, 1)` from the top 53 bits of one `u64`.
pub fn unit_f64(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Shuffles `items` in place by Fisher–Yates (Durstenfeld's form, from the last position
/// down), drawing with [`below`].
pub fn shuffle<T>(items: &mut [T], rng: &mut impl RngCore) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// `0..n` shuffled by [`shuffle`] on `seed`'s `stream`.
pub fn shuffled_indices(n: usize, seed: u64, stream: Stream) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    shuffle(&mut indices, &mut rng(seed, stream));
    indices
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain form: every product tested against the threshold.
    fn below_plain(rng: &mut impl RngCore, bound: u64) -> u64 {
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let m = u128::from(rng.next_u64()) * u128::from(bound);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    #[test]
    fn below_draws_as_the_plain_rejection_does() {
        // Bounds just above a power of two and near 2^64 reject often; the streams must
        // stay in step through every rejection.
        let bounds = [
            1,
            2,
            3,
            7,
            1000,
            (1 << 32) + 1,
            (1 << 63) + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &bound in &bounds {
            let (mut a, mut b) = (rng(9, Stream::Minibatch), rng(9, Stream::Minibatch));
            for _ in 0..10_000 {
                assert_eq!(below(&mut a, bound), below_plain(&mut b, bound), "{bound}");
            }
            assert_eq!(
                a.next_u64(),
                b.next_u64(),
                "{bound}: the streams drifted apart"
            );
        }
    }

    /// The numbers are a promise (byte-identical models): these values must never change.
    #[test]
    fn the_streams_are_pinned() {
        let firsts: Vec<u64> = [
            Stream::Generate,
            Stream::Split,
            Stream::Init,
            Stream::Minibatch,
            Stream::Folds,
            Stream::Derive,
        ]
        .iter()
        .map(|&s| rng(42, s).next_u64())
        .collect();
        assert_eq!(firsts, PINNED_FIRSTS);
        assert_eq!(shuffled_indices(10, 42, Stream::Split), PINNED_SHUFFLE);
        let derived: Vec<u64> = (0..3).map(|i| derive_seed(42, i)).collect();
        assert_eq!(derived, PINNED_DERIVED);
        let mut r = rng(7, Stream::Init);
        let units: Vec<f64> = (0..2).map(|_| unit_f64(&mut r)).collect();
        assert_eq!(units, PINNED_UNITS);
    }

    const PINNED_FIRSTS: [u64; 6] = [
        6424161053832095879,
        14330608400789313726,
        4190838053710333181,
        8425774088358092366,
        14168772435857450947,
        8314622729994604884,
    ];
    const PINNED_SHUFFLE: [usize; 10] = [4, 6, 8, 9, 2, 3, 0, 5, 1, 7];
    const PINNED_DERIVED: [u64; 3] = [
        8314622729994604884,
        9788480710059284357,
        11482479844970606860,
    ];
    const PINNED_UNITS: [f64; 2] = [0.010922764364190707, 0.1943919988985855];

    #[test]
    fn derived_seeds_are_the_derive_streams_words() {
        let mut r = rng(9, Stream::Derive);
        for i in 0..5 {
            assert_eq!(derive_seed(9, i), r.next_u64());
        }
    }

    #[test]
    fn below_is_in_range_and_uniform() {
        let mut r = rng(1, Stream::Generate);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[below(&mut r, 3) as usize] += 1;
        }
        // Each count is Binomial(30000, 1/3): std ≈ 82, so ±500 is over 6 sigma.
        for c in counts {
            assert!((9_500..=10_500).contains(&c), "{counts:?}");
        }
        assert_eq!(below(&mut r, 1), 0);
    }

    #[test]
    fn shuffle_is_a_permutation_and_every_position_is_reachable() {
        let mut seen = [[false; 5]; 5];
        for seed in 0..200 {
            let p = shuffled_indices(5, seed, Stream::Split);
            let mut sorted = p.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3, 4]);
            for (pos, &item) in p.iter().enumerate() {
                seen[pos][item] = true;
            }
        }
        assert!(seen.iter().flatten().all(|&s| s));
    }

    #[test]
    fn unit_values_are_in_the_unit_interval() {
        let mut r = rng(3, Stream::Generate);
        for _ in 0..10_000 {
            let u = unit_f64(&mut r);
            assert!((0.0..1.0).contains(&u));
        }
    }
}
