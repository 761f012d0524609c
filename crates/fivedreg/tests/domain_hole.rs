//! The domain flags points in a hole of the training data: a ring-shaped cloud whose hole is
//! small enough that only the right distance test finds it. Its kept rows are 0.1 apart and
//! the hole's points lie 0.15 to 0.2 from the nearest one (in the features' units): outside
//! the nearest-row limit (about 0.2 scaled units), but inside the square root of that limit
//! (about 0.44), which a squared distance compared with an unsquared limit would accept.

use fivedreg::Domain;

/// A grid of spacing 0.1 on the ring 0.2 ≤ r ≤ 1 of the square [-1, 1]², row-major (x, y).
fn ring() -> Vec<f64> {
    let mut rows = Vec::new();
    for i in 0..=20 {
        for j in 0..=20 {
            let (x, y) = (i as f64 / 10.0 - 1.0, j as f64 / 10.0 - 1.0);
            if (0.2..=1.0).contains(&x.hypot(y)) {
                rows.extend([x, y]);
            }
        }
    }
    rows
}

/// 20 points in the hole: its centre and 19 on the circle of radius 0.05 around it.
fn hole() -> Vec<f64> {
    let mut points = vec![0.0, 0.0];
    for k in 0..19 {
        let angle = k as f64 * std::f64::consts::TAU / 19.0;
        points.extend([0.05 * angle.cos(), 0.05 * angle.sin()]);
    }
    points
}

#[test]
fn every_point_in_the_hole_of_a_ring_is_outside() {
    let rows = ring();
    let domain = Domain::of_rows(&rows, 2).unwrap();
    assert_eq!(domain.kept_rows(), rows.len() / 2, "every row kept");
    // The limit is below 1 scaled unit, where a squared distance and the distance differ in
    // the direction that matters (the square root of the limit is the larger).
    let limit = domain.nearest_distance();
    assert!(limit > 0.1 && limit < 0.5, "{limit}");
    let hole = hole();
    let flagged = domain.outside(&hole);
    assert_eq!(flagged.iter().filter(|&&o| o).count(), 20, "{flagged:?}");
    for point in hole.chunks_exact(2) {
        assert!(domain.is_outside(point), "{point:?}");
    }
    // The ring's own rows, and points between them, are inside.
    assert!(domain.outside(&rows).iter().all(|&o| !o));
    for point in [[0.55, 0.05], [-0.3, -0.45], [0.05, 0.9]] {
        assert!(!domain.is_outside(&point), "{point:?}");
    }
}
