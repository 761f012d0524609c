//! A model of boosted trees predicts over HTTP exactly as the library, and so the command,
//! predicts: the fixture that the library's tests pin (`v4-trees.fdr`), uploaded.

mod common;

use axum::http::StatusCode;
use common::Api;
use serde_json::json;
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tree_model_predicts_over_http_as_the_library_does() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fivedreg/tests/fixtures/v4-trees.fdr");
    let bytes = std::fs::read(&path).unwrap();
    let api = Api::new();
    let reply = api
        .post_bytes(
            "/api/v1/models?name=trees.fdr",
            "application/octet-stream",
            bytes,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let local = fivedreg::Interpolator::load(&path).unwrap();
    let points = [
        [0.1, 0.2, 0.3, 0.4, 0.5],
        [0.9, 0.05, 0.5, 0.7, 0.2],
        [2.0, -1.0, 0.5, 0.5, 0.5],
    ];
    let reply = api
        .post_json(
            &format!("/api/v1/models/{id}/predict"),
            &json!({"rows": points}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let predictions = reply.json();
    for (i, p) in points.iter().enumerate() {
        assert_eq!(
            predictions["predictions"][i].as_f64().unwrap(),
            local.predict_point(p).unwrap(),
            "row {i}"
        );
    }
}
