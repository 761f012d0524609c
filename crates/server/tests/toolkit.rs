//! The surrogate toolkit over HTTP (`/sensitivity`, `/slice`, `/suggest`, `/optimize`,
//! `/design`): the answers are the library's on the same model and options, the points
//! of a slice are the model's predictions there, and bad requests are 400s that name
//! their field.

mod common;

use axum::http::StatusCode;
use common::{quick_options, Api};
use fivedreg::Interpolator;
use fivedreg_surrogate::{Bounds, RangeSpec};
use serde_json::{json, Value};

/// The stored model, as a client downloading it gets it.
async fn download(api: &Api, id: &str) -> Interpolator {
    let file = api.get(&format!("/api/v1/models/{id}/file")).await;
    assert_eq!(file.status, StatusCode::OK);
    Interpolator::from_bytes(&file.body, "download").unwrap()
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// Trains a small ensemble (a model with a std) on the data set; its id.
async fn ensemble(api: &Api, dataset: &str) -> String {
    let mut options = quick_options();
    options["ensemble"] = json!(3);
    let job = api.submit(dataset, options).await;
    let job = api.wait_ended(job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    job["model"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensitivity_is_the_librarys_on_the_same_model_and_seed() {
    let api = Api::new();
    let (_, id) = api.trained().await;
    let body = json!({"n": 512, "seed": 9, "ranges": {"x2": [-0.5, 1.5]}});
    let reply = api
        .post_json(&format!("/api/v1/models/{id}/sensitivity"), &body)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let got = reply.json();

    let model = download(&api, &id).await;
    let specs = vec![RangeSpec::new("x2", -0.5, 1.5).unwrap()];
    let bounds = Bounds::of_model_specs(&model, &specs).unwrap();
    let params = fivedreg_surrogate::sensitivity::SobolParams {
        n: 512,
        seed: 9,
        ..Default::default()
    }
    .check(bounds.dim())
    .unwrap();
    let expected =
        fivedreg_surrogate::sensitivity::sobol_indices(&model, &bounds, &params).unwrap();
    assert_eq!(got["evaluations"], json!(512 * 5));
    assert_eq!(got["ranges"]["x2"], json!([-0.5, 1.5]));
    assert_eq!(
        got["ranges"]["x1"],
        json!([bounds.low()[0], bounds.high()[0]])
    );
    let rows = got["indices"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row["input"], json!(expected.inputs[k]));
        // Exactly: the same code on the same model, sample and seed.
        assert_eq!(row["S1"].as_f64().unwrap(), expected.s1[k], "{row}");
        assert_eq!(row["ST"].as_f64().unwrap(), expected.st[k], "{row}");
        assert_eq!(row["S1_conf"].as_f64().unwrap(), expected.s1_conf[k]);
        assert_eq!(row["ST_conf"].as_f64().unwrap(), expected.st_conf[k]);
    }
    // y = x1² + x2² + x3², x2 narrowed: x1 and x3 matter most.
    let st: Vec<f64> = rows.iter().map(|r| r["ST"].as_f64().unwrap()).collect();
    assert!(st[0] > st[1] && st[2] > st[1], "{got}");

    // The defaults are the command line's: N = 4096.
    let reply = api
        .post_json(&format!("/api/v1/models/{id}/sensitivity"), &json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["n"], 4096);
    assert_eq!(reply.json()["seed"], 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slice_points_are_the_predictions_at_those_inputs() {
    let api = Api::new();
    let (_, id) = api.trained().await;
    let reply = api
        .post_json(
            &format!("/api/v1/models/{id}/slice"),
            &json!({"slice": "x2", "at": {"x3": 0.25, "x1": -0.5}, "points": 21, "ice": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let got = reply.json();
    assert_eq!(got["target"], "y");
    assert_eq!(got["inputs"], json!(["x1", "x2", "x3"]));
    let at = numbers(&got["at"]);
    assert_eq!((at[0], at[2]), (-0.5, 0.25));
    let s = &got["slice"];
    assert_eq!(s["input"], "x2");
    assert!(s.get("std").is_none(), "a single network has no std: {s}");
    let x = numbers(&s["x"]);
    assert_eq!(x.len(), 21);
    let range = numbers(&got["ranges"]["x2"]);
    assert_eq!((x[0], x[20]), (range[0], range[1]));
    let rows: Vec<Vec<f64>> = x.iter().map(|&v| vec![at[0], v, at[2]]).collect();
    let predicted = api
        .post_json(
            &format!("/api/v1/models/{id}/predict"),
            &json!({ "rows": rows }),
        )
        .await
        .json();
    assert_eq!(
        numbers(&s["prediction"]),
        numbers(&predicted["predictions"])
    );
    // The ICE curves: 8, each the predictions through its own point.
    let ice = s["ice"].as_array().unwrap();
    assert_eq!(ice.len(), 8);
    let through = numbers(&ice[3]["through"]);
    let rows: Vec<Vec<f64>> = x.iter().map(|&v| vec![through[0], v, through[2]]).collect();
    let predicted = api
        .post_json(
            &format!("/api/v1/models/{id}/predict"),
            &json!({ "rows": rows }),
        )
        .await
        .json();
    assert_eq!(
        numbers(&ice[3]["prediction"]),
        numbers(&predicted["predictions"])
    );

    // A map: every cell is the prediction there.
    let reply = api
        .post_json(
            &format!("/api/v1/models/{id}/slice"),
            &json!({"contour": ["x3", "x1"], "points": 7}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let got = reply.json();
    let m = &got["contour"];
    let (gx, gy, values) = (numbers(&m["x"]), numbers(&m["y"]), numbers(&m["values"]));
    assert_eq!((gx.len(), gy.len(), values.len()), (7, 7, 49));
    let mid = numbers(&got["at"]);
    let mut rows = Vec::new();
    for &yv in &gy {
        for &xv in &gx {
            rows.push(vec![yv, mid[1], xv]);
        }
    }
    let predicted = api
        .post_json(
            &format!("/api/v1/models/{id}/predict"),
            &json!({ "rows": rows }),
        )
        .await
        .json();
    assert_eq!(values, numbers(&predicted["predictions"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggest_needs_a_std_and_an_ensemble_gets_its_runs() {
    let api = Api::new();
    let (dataset, single) = api.trained().await;
    let body = api
        .post_json(
            &format!("/api/v1/models/{single}/suggest"),
            &json!({"n": 3}),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("needs a model with a standard deviation"),
        "{body}"
    );

    let id = ensemble(&api, &dataset).await;
    let body = json!({"n": 4, "ranges": {"x1": [-3, 3]}, "seed": 5});
    let reply = api
        .post_json(&format!("/api/v1/models/{id}/suggest"), &body)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let got = reply.json();
    let model = download(&api, &id).await;
    let specs = vec![RangeSpec::new("x1", -3.0, 3.0).unwrap()];
    let bounds = Bounds::of_model_specs(&model, &specs).unwrap();
    let params = fivedreg_surrogate::suggest::SuggestParams {
        n: 4,
        candidates: 4096,
        seed: 5,
    }
    .check()
    .unwrap();
    let expected = fivedreg_surrogate::suggest::suggest(&model, &bounds, &params).unwrap();
    let rows = got["suggestions"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(numbers(&row["point"]), expected.points[i]);
        assert_eq!(row["std"].as_f64().unwrap(), expected.std[i]);
        assert_eq!(row["prediction"].as_f64().unwrap(), expected.mean[i]);
    }
    // The largest std first.
    assert!(rows[0]["std"].as_f64().unwrap() >= rows[3]["std"].as_f64().unwrap());

    // optimize on the same model: the library's optima, with their std.
    let reply = api
        .post_json(
            &format!("/api/v1/models/{id}/optimize"),
            &json!({"minimize": true, "starts": 4}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let got = reply.json();
    let bounds = Bounds::of_model_specs(&model, &[]).unwrap();
    let params = fivedreg_surrogate::optimize::OptimizeParams {
        starts: 4,
        ..Default::default()
    }
    .check()
    .unwrap();
    let expected = fivedreg_surrogate::optimize::optimize(&model, &bounds, &params).unwrap();
    assert_eq!(got["goal"], "minimize");
    assert_eq!(got["evaluations"], json!(expected.evaluations));
    assert_eq!(numbers(&got["best"]["point"]), expected.optima[0].point);
    assert_eq!(
        got["best"]["value"].as_f64().unwrap(),
        expected.optima[0].value
    );
    assert!(got["best"]["std"].as_f64().is_some(), "{got}");
    // y = sum of squares: the minimum is near the origin.
    let best = numbers(&got["best"]["point"]);
    assert!(best.iter().all(|v| v.abs() < 0.5), "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_400s_naming_their_field() {
    let api = Api::new();
    let (_, id) = api.trained().await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "sensitivity",
            json!({"ranges": {"x1": [2, 1]}}),
            "ranges",
            "invalid range for x1: 2:1",
        ),
        (
            "sensitivity",
            json!({"ranges": {"y9": [0, 1]}}),
            "ranges",
            "unknown input \"y9\" in ranges: the model's inputs are x1,x2,x3",
        ),
        ("sensitivity", json!({"n": 1}), "n", "invalid n 1"),
        (
            "slice",
            json!({"slice": "x9"}),
            "slice",
            "unknown input \"x9\" in slice",
        ),
        (
            "slice",
            json!({"slice": "x1", "at": {"x7": 1}}),
            "at",
            "unknown input \"x7\" in at",
        ),
        (
            "slice",
            json!({"slice": "x1", "points": 1}),
            "points",
            "invalid points 1",
        ),
        ("slice", json!({}), "slice", "exactly one of slice"),
        ("slice", json!({"contour": ["x1"]}), "contour", "two inputs"),
        (
            "slice",
            json!({"contour": ["x1", "x1"]}),
            "contour",
            "two different inputs",
        ),
        (
            "slice",
            json!({"contour": ["x1", "x2"], "points": 5000}),
            "points",
            "invalid points 5000",
        ),
        ("suggest", json!({"n": 0}), "n", "invalid n 0"),
        (
            "optimize",
            json!({"starts": 3}),
            "minimize",
            "give exactly one of minimize and maximize",
        ),
        (
            "optimize",
            json!({"maximize": true, "starts": 0}),
            "starts",
            "invalid starts 0",
        ),
        (
            "optimize",
            json!({"maximize": true, "ranges": {"x3": [0, 0]}}),
            "ranges",
            "invalid range for x3",
        ),
    ];
    for (endpoint, body, field, words) in cases {
        let reply = api
            .post_json(&format!("/api/v1/models/{id}/{endpoint}"), &body)
            .await;
        let error = reply.error(StatusCode::BAD_REQUEST);
        let message = error["error"].as_str().unwrap();
        assert!(message.contains(words), "{endpoint} {body}: {error}");
        assert!(!message.contains("--"), "{endpoint} {body}: {error}");
        assert_eq!(error["field"], json!(field), "{endpoint} {body}: {error}");
    }
    // An input named twice (sent as text: `json!` keeps one of the two).
    let error = api
        .post_bytes(
            &format!("/api/v1/models/{id}/sensitivity"),
            "application/json",
            br#"{"ranges": {"x1": [0, 1], "x1": [0, 2]}}"#.to_vec(),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(
        error["error"], "input \"x1\" appears twice in ranges",
        "{error}"
    );
    assert_eq!(error["field"], "ranges");
    // An unknown field, a wrong type: the JSON's own 400.
    let error = api
        .post_json(
            &format!("/api/v1/models/{id}/sensitivity"),
            &json!({"samples": 10}),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        error["error"].as_str().unwrap().contains("samples"),
        "{error}"
    );
    let error = api
        .post_json(
            &format!("/api/v1/models/{id}/slice"),
            &json!({"slice": "x1", "at": {"x2": "high"}}),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        error["field"].as_str().unwrap().starts_with("at"),
        "{error}"
    );
    // An unknown model.
    api.post_json(
        "/api/v1/models/m0000000000000000/slice",
        &json!({"slice": "x1"}),
    )
    .await
    .error(StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn designs_are_the_librarys_in_the_order_of_their_ranges() {
    let api = Api::new();
    // As text: `json!` would sort the keys.
    let body = r#"{"lhs": 16, "ranges": {"b": [0, 1], "a": [-5, 5]}, "seed": 7}"#;
    let reply = api
        .post_bytes("/api/v1/design", "application/json", body.into())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let got = reply.json();
    assert_eq!(got["inputs"], json!(["b", "a"]));
    assert_eq!(got["design"], "lhs");
    let specs = RangeSpec::parse_list("b=0:1,a=-5:5").unwrap();
    let bounds = Bounds::from_specs(&specs).unwrap();
    let expected = fivedreg_surrogate::design::design(
        fivedreg_surrogate::design::DesignKind::Lhs,
        16,
        &bounds,
        7,
    )
    .unwrap();
    let points: Vec<f64> = got["points"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(numbers)
        .collect();
    assert_eq!(points, expected);

    let sobol = api
        .post_json(
            "/api/v1/design",
            &json!({"sobol": 8, "ranges": {"x": [0, 1]}}),
        )
        .await;
    assert_eq!(sobol.status, StatusCode::OK, "{}", sobol.text());
    assert_eq!(sobol.json()["points"].as_array().unwrap().len(), 8);

    for (body, field, words) in [
        (
            json!({"ranges": {"x": [0, 1]}}),
            "lhs",
            "give exactly one of lhs and sobol",
        ),
        (
            json!({"lhs": 4, "sobol": 4, "ranges": {"x": [0, 1]}}),
            "lhs",
            "give exactly one of lhs and sobol",
        ),
        (json!({"lhs": 4}), "ranges", "at least one NAME=LOW:HIGH"),
        (
            json!({"lhs": 0, "ranges": {"x": [0, 1]}}),
            "lhs",
            "invalid lhs 0",
        ),
        (
            json!({"lhs": 4, "ranges": {"x": [1, 1]}}),
            "ranges",
            "invalid range for x: 1:1",
        ),
    ] {
        let error = api
            .post_json("/api/v1/design", &body)
            .await
            .error(StatusCode::BAD_REQUEST);
        assert!(
            error["error"].as_str().unwrap().contains(words),
            "{body}: {error}"
        );
        assert_eq!(error["field"], json!(field), "{body}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyses_over_the_memory_limit_are_refused_before_they_start() {
    let api = Api::with(|c| c.memory_limit = 256 << 20);
    let (_, id) = api.trained().await;
    // 4,194,304 base points: a 700 MiB sample and 3 GiB of bootstrap indices.
    let error = api
        .post_json(
            &format!("/api/v1/models/{id}/sensitivity"),
            &json!({"n": 4194304}),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    let message = error["error"].as_str().unwrap();
    assert!(message.contains("--memory-limit"), "{error}");
    assert!(message.contains("256.0 MiB"), "{error}");
    let error = api
        .post_json(
            "/api/v1/design",
            &json!({"sobol": 1000000, "ranges": {"a": [0, 1], "b": [0, 1], "c": [0, 1], "d": [0, 1], "e": [0, 1], "f": [0, 1], "g": [0, 1], "h": [0, 1], "i": [0, 1], "j": [0, 1]}}),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        error["error"].as_str().unwrap().contains("--memory-limit"),
        "{error}"
    );
    // A small one still runs.
    let reply = api
        .post_json(
            &format!("/api/v1/models/{id}/sensitivity"),
            &json!({"n": 256}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

/// docs/serve.md's table of endpoints is the router's: every route the OpenAPI document
/// describes is in it, and it names no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_endpoints_are_the_served_ones() {
    let api = Api::new();
    let doc = api.get("/api/v1/openapi.json").await.json();
    let mut served = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            served.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    served.sort();
    let text = include_str!("../../../docs/serve.md");
    let mut documented: Vec<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(route, _)| route.to_string()))
        .filter(|route| route.contains(" /api/v1/"))
        .collect();
    documented.sort();
    documented.dedup();
    assert_eq!(documented, served, "docs/serve.md's endpoint table");
}
