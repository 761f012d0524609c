//! Every endpoint of the API and its errors, driven through the router without a socket.

mod common;

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use common::{files, quick_options, sum_of_squares, Api};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_the_page() {
    let api = Api::new();
    let health = api.get("/api/v1/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.json()["version"], env!("CARGO_PKG_VERSION"));

    let page = api.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let html = page.text();
    // Offline: nothing is loaded from elsewhere.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    for (path, kind) in [
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let asset = api.get(path).await;
        assert_eq!(asset.status, StatusCode::OK);
        assert!(asset.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(kind));
        assert!(html.contains(path), "{path} not linked");
        assert!(
            !asset.text().contains("https://"),
            "{path} loads something from elsewhere"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_answer_in_json() {
    let api = Api::new();
    let body = api
        .get("/api/v1/nothing")
        .await
        .error(StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("/api/v1/nothing"));
    api.send(
        api.request(Method::PUT, "/api/v1/health")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .error(StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyperparameters_come_from_the_library_and_are_accepted_as_given() {
    let api = Api::new();
    let reply = api.get("/api/v1/hyperparameters").await;
    assert_eq!(reply.status, StatusCode::OK);
    let options = reply.json()["options"].as_array().unwrap().clone();
    let find = |name: &str| options.iter().find(|o| o["name"] == name).unwrap().clone();
    let lr = find("learning_rate");
    let d = fivedreg::MlpParams::default();
    assert_eq!(lr["default"], json!(d.learning_rate));
    assert_eq!(
        (lr["min"].clone(), lr["min_exclusive"].clone()),
        (json!(0), json!(true))
    );
    assert_eq!(lr["max"], json!(1));
    assert_eq!(find("max_epochs")["default"], json!(d.max_epochs));
    assert_eq!(find("hidden")["default"], json!(d.hidden_layers));
    assert_eq!(find("batch_size")["default"], Value::Null);
    assert_eq!(find("early_stopping")["default"], json!(true));
    assert_eq!(find("split")["default"], Value::Null); // the solver's
    assert!(find("split")["meaning"]
        .as_str()
        .unwrap()
        .contains("0.6,0.2,0.2"));

    // Every option at its default, and every slider end, is a valid job option (budget
    // with auto only, which then takes neither solver nor ensemble).
    let dataset = api.upload(&sum_of_squares(50, 2, 1)).await["id"].clone();
    let mut defaults = serde_json::Map::new();
    for option in &options {
        let name = option["name"].as_str().unwrap();
        // auto's own options (budget, folds) go with auto only.
        if !option["default"].is_null() && name != "budget" && name != "folds" {
            defaults.insert(name.into(), option["default"].clone());
        }
    }
    let mut auto = defaults.clone();
    auto.remove("solver");
    auto.remove("ensemble");
    auto.insert("auto".into(), json!(true));
    auto.insert("budget".into(), find("budget")["default"].clone());
    let mut cases = vec![Value::Object(defaults.clone()), Value::Object(auto.clone())];
    for option in &options {
        if let Some(slider) = option["slider"].as_object() {
            let name = option["name"].as_str().unwrap();
            for end in ["min", "max"] {
                let mut o = if name == "budget" || name == "folds" {
                    auto.clone()
                } else {
                    defaults.clone()
                };
                o.insert(name.into(), slider[end].clone());
                cases.push(Value::Object(o));
            }
        }
        for choice in option["choices"].as_array().unwrap() {
            let mut o = defaults.clone();
            o.insert(option["name"].as_str().unwrap().into(), choice.clone());
            if choice == "lbfgs" {
                o.remove("split");
            }
            cases.push(Value::Object(o));
        }
    }
    for options in &cases {
        let train: fivedreg_server::TrainOptions =
            serde_json::from_value(options.clone()).unwrap_or_else(|e| panic!("{options}: {e}"));
        if let Err(e) = train.plan() {
            panic!("{options}: {e}");
        }
    }
    // And the server agrees, end to end, for the defaults (then the job is cancelled).
    let job = api
        .submit(dataset.as_str().unwrap(), Value::Object(defaults))
        .await;
    let cancelled = api
        .delete(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()))
        .await;
    assert!(cancelled.status.is_success(), "{}", cancelled.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_endpoint() {
    let api = Api::new();
    let reply = api.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    let mut served = vec![
        "GET /api/v1/health",
        "GET /api/v1/hyperparameters",
        "GET /api/v1/openapi.json",
        "GET /api/v1/datasets",
        "POST /api/v1/datasets",
        "GET /api/v1/datasets/{id}",
        "DELETE /api/v1/datasets/{id}",
        "GET /api/v1/jobs",
        "POST /api/v1/jobs",
        "GET /api/v1/jobs/{id}",
        "DELETE /api/v1/jobs/{id}",
        "GET /api/v1/jobs/{id}/events",
        "GET /api/v1/models",
        "POST /api/v1/models",
        "GET /api/v1/models/{id}",
        "DELETE /api/v1/models/{id}",
        "GET /api/v1/models/{id}/file",
        "POST /api/v1/models/{id}/predict",
        "POST /api/v1/models/{id}/sensitivity",
        "POST /api/v1/models/{id}/slice",
        "POST /api/v1/models/{id}/suggest",
        "POST /api/v1/models/{id}/optimize",
        "POST /api/v1/design",
    ];
    served.sort();
    assert_eq!(documented, served);
    // Each is routed: an unknown id gives the API's 404, not the fallback's.
    for route in &served {
        let (method, path) = route.split_once(' ').unwrap();
        let id = if path.contains("/datasets/") {
            "d0000000000000000"
        } else if path.contains("/jobs/") {
            "j0000000000000000"
        } else {
            "m0000000000000000"
        };
        let path = path.replace("{id}", id);
        let reply = api
            .send(
                api.request(method.parse().unwrap(), &path)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await;
        assert!(
            !reply.text().contains("no such endpoint"),
            "{route}: {}",
            reply.text()
        );
    }
    for schema in [
        "DatasetInfo",
        "JobRecord",
        "ModelInfo",
        "ErrorBody",
        "TrainOptions",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datasets_are_stored_listed_and_deleted() {
    let api = Api::new();
    let csv = "a,b,y\n1,10,0.5\n3,20,1.5\n2,-30,1\n";
    let info = api.upload(csv).await;
    let id = info["id"].as_str().unwrap().to_string();
    assert_eq!(info["rows"], 3);
    assert_eq!(info["name"], "test.csv");
    assert_eq!(info["bytes"], csv.len());
    let columns = info["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 3);
    assert_eq!(
        columns[0],
        json!({"name": "a", "min": 1.0, "max": 3.0, "mean": 2.0})
    );
    assert_eq!(
        columns[1],
        json!({"name": "b", "min": -30.0, "max": 20.0, "mean": 0.0})
    );
    assert_eq!(
        columns[2],
        json!({"name": "y", "min": 0.5, "max": 1.5, "mean": 1.0})
    );
    // Stored as sent.
    let stored = api
        .state
        .config()
        .data_dir
        .join(format!("datasets/{id}.csv"));
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), csv);

    let list = api.get("/api/v1/datasets").await.json();
    assert_eq!(list, json!([info.clone()]));
    assert_eq!(
        api.get(&format!("/api/v1/datasets/{id}")).await.json(),
        info
    );
    assert_eq!(
        api.delete(&format!("/api/v1/datasets/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    api.get(&format!("/api/v1/datasets/{id}"))
        .await
        .error(StatusCode::NOT_FOUND);
    api.delete(&format!("/api/v1/datasets/{id}"))
        .await
        .error(StatusCode::NOT_FOUND);
    assert_eq!(api.get("/api/v1/datasets").await.json(), json!([]));
    assert!(!stored.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_csv_is_refused_with_its_line_and_column_and_nothing_is_stored() {
    let api = Api::new();
    let cases: &[(&[u8], Option<u64>, Option<u64>)] = &[
        (b"a,b,y\n1,2,3\n4,x,6\n", Some(3), Some(2)),
        (b"a,b,y\n1,2,3\n4,5\n", Some(3), Some(3)),
        (b"a,b,y\n1,2,3,4\n", Some(2), Some(4)),
        (b"a,b,y\n1,NaN,3\n", Some(2), Some(2)),
        (b"a,a,y\n1,2,3\n", Some(1), Some(2)),
        (b"a,b,y\n", None, None),
        (b"", None, None),
        (b"y\n1\n", Some(1), None),
        (b"a,b,y\n1,2,\xff\n", Some(2), Some(3)),
    ];
    for (csv, line, column) in cases {
        let reply = api
            .post_bytes("/api/v1/datasets", "text/csv", csv.to_vec())
            .await;
        let body = reply.error(StatusCode::BAD_REQUEST);
        assert_eq!(
            body["line"].as_u64(),
            *line,
            "{:?}: {body}",
            String::from_utf8_lossy(csv)
        );
        assert_eq!(
            body["column"].as_u64(),
            *column,
            "{:?}: {body}",
            String::from_utf8_lossy(csv)
        );
    }
    assert_eq!(api.get("/api/v1/datasets").await.json(), json!([]));
    assert_eq!(files(&api.state.config().data_dir), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_uploads_are_refused_whether_or_not_they_declare_their_length() {
    let api = Api::with(|c| c.max_upload_bytes = 1000);
    let csv = sum_of_squares(100, 3, 1);
    assert!(csv.len() > 1000);
    // Declared: refused before reading.
    let declared = api
        .send(
            api.request(Method::POST, "/api/v1/datasets")
                .header(header::CONTENT_TYPE, "text/csv")
                .header(header::CONTENT_LENGTH, csv.len())
                .body(Body::from(csv.clone()))
                .unwrap(),
        )
        .await;
    assert!(declared.error(StatusCode::PAYLOAD_TOO_LARGE)["error"]
        .as_str()
        .unwrap()
        .contains("--max-upload-mb"));
    // Streamed in chunks without a length: refused when the count passes the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        csv.as_bytes().chunks(100).map(|c| Ok(c.to_vec())).collect();
    let streamed = api
        .send(
            api.request(Method::POST, "/api/v1/datasets")
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from_stream(futures_util::stream::iter(chunks)))
                .unwrap(),
        )
        .await;
    streamed.error(StatusCode::PAYLOAD_TOO_LARGE);
    // Model uploads and CSV predictions have the same cap.
    api.post_bytes("/api/v1/models", "application/octet-stream", vec![0; 2000])
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(files(&api.state.config().data_dir), Vec::<String>::new());
    // A JSON body is capped too.
    let huge = format!(
        "{{\"dataset\": \"{}\"}}",
        "x".repeat(fivedreg_server::JSON_LIMIT as usize)
    );
    let api = Api::new();
    api.post_bytes("/api/v1/jobs", "application/json", huge.into_bytes())
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_of_the_wrong_type_are_refused() {
    let api = Api::new();
    let reply = api
        .post_bytes(
            "/api/v1/datasets",
            "application/x-www-form-urlencoded",
            b"a,b\n1,2\n".to_vec(),
        )
        .await;
    let body = reply.error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        body["error"].as_str().unwrap().contains("text/csv"),
        "{body}"
    );
    api.post_bytes("/api/v1/jobs", "text/csv", b"{}".to_vec())
        .await
        .error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (_, model) = api.trained().await;
    api.post_bytes(
        &format!("/api/v1/models/{model}/predict"),
        "image/png",
        vec![1, 2],
    )
    .await
    .error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_404_and_odd_ones_never_reach_the_disk() {
    let api = Api::new();
    for id in [
        "d0123456789abcdef",
        "m0123456789abcdef",
        "j0123456789abcdef",
        "..%2F..%2Fetc",
        "x",
        "%00",
    ] {
        for path in [
            format!("/api/v1/datasets/{id}"),
            format!("/api/v1/jobs/{id}"),
            format!("/api/v1/jobs/{id}/events"),
            format!("/api/v1/models/{id}"),
            format!("/api/v1/models/{id}/file"),
        ] {
            api.get(&path).await.error(StatusCode::NOT_FOUND);
        }
        for path in [
            format!("/api/v1/datasets/{id}"),
            format!("/api/v1/jobs/{id}"),
            format!("/api/v1/models/{id}"),
        ] {
            api.delete(&path).await.error(StatusCode::NOT_FOUND);
        }
        api.post_json(
            &format!("/api/v1/models/{id}/predict"),
            &json!({"rows": [[1, 2]]}),
        )
        .await
        .error(StatusCode::NOT_FOUND);
    }
    let body = api
        .post_json("/api/v1/jobs", &json!({"dataset": "d0123456789abcdef"}))
        .await
        .error(StatusCode::NOT_FOUND);
    assert_eq!(body["field"], "dataset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_job_requests_name_the_field() {
    let api = Api::new();
    let dataset = api.upload(&sum_of_squares(50, 2, 1)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"learning_rate": 2.0}),
            "options.learning_rate",
            "(0, 1]",
        ),
        (
            json!({"learning_rate": 0}),
            "options.learning_rate",
            "(0, 1]",
        ),
        (
            json!({"max_epochs": 0}),
            "options.max_epochs",
            "1..=1000000",
        ),
        (
            json!({"max_epochs": -5}),
            "options.max_epochs",
            "invalid value",
        ),
        (
            json!({"max_epochs": "many"}),
            "options.max_epochs",
            "invalid type",
        ),
        (json!({"hidden": [64, 0]}), "options.hidden", "widths"),
        (
            json!({"hidden": [65536, 65536, 65536]}),
            "options.hidden",
            "parameters",
        ),
        (json!({"batch_size": 0}), "options.batch_size", "at least 1"),
        (json!({"alpha": -1}), "options.alpha", "[0, 1e9]"),
        (json!({"threads": 5000}), "options.threads", "1024"),
        (json!({"split": [0.5, 0.5]}), "options.split", "3 fractions"),
        (json!({"split": [0.5, 0.6, 0.2]}), "options.split", "sum"),
        (
            json!({"split": [1.0, 0.0, 0.0]}),
            "options.split",
            "validation",
        ),
        (
            json!({"learnin_rate": 0.1}),
            "options.learnin_rate",
            "unknown field `learnin_rate`",
        ),
        (
            json!({"solver": "sgd"}),
            "options.solver",
            "`adam` or `lbfgs`",
        ),
        (
            json!({"activation": "sigmoid"}),
            "options.activation",
            "`relu` or `tanh`",
        ),
        (json!({"tol": -1}), "options.tol", ">= 0"),
        (json!({"ensemble": 0}), "options.ensemble", "1..=64"),
        (json!({"ensemble": 65}), "options.ensemble", "1..=64"),
        (
            json!({"auto": true, "solver": "adam"}),
            "options.solver",
            "leave solver out",
        ),
        (
            json!({"auto": true, "ensemble": 3}),
            "options.ensemble",
            "leave ensemble out",
        ),
        (json!({"budget": 5}), "options.budget", "auto only"),
        (
            json!({"auto": true, "budget": 0}),
            "options.budget",
            "above 0",
        ),
    ];
    for (options, field, words) in cases {
        let reply = api
            .post_json(
                "/api/v1/jobs",
                &json!({"dataset": dataset, "options": options}),
            )
            .await;
        let body = reply.error(StatusCode::BAD_REQUEST);
        assert_eq!(body["field"], field, "{options}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(words),
            "{options}: {body}"
        );
    }
    let body = api
        .post_json(
            "/api/v1/jobs",
            &json!({"dataset": dataset, "target": "nope"}),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "target");
    assert!(
        body["error"].as_str().unwrap().contains("x1, x2, y"),
        "{body}"
    );
    let body = api
        .post_json("/api/v1/jobs", &json!({"dataset": dataset, "extra": 1}))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("unknown field `extra`"),
        "{body}"
    );
    api.post_bytes(
        "/api/v1/jobs",
        "application/json",
        b"{\"dataset\":".to_vec(),
    )
    .await
    .error(StatusCode::BAD_REQUEST);
    api.post_bytes("/api/v1/jobs", "application/json", b"{} trailing".to_vec())
        .await
        .error(StatusCode::BAD_REQUEST);
    // Nothing was queued.
    assert_eq!(api.get("/api/v1/jobs").await.json(), json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_trains_a_model_that_predicts_in_the_users_units() {
    let api = Api::new();
    let dataset = api.upload(&sum_of_squares(400, 3, 1)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = api.submit(&dataset, quick_options()).await;
    assert_eq!(job["state"], "queued");
    assert_eq!(job["target"], "y");
    assert_eq!(job["max_epochs"], 40);
    let id = job["id"].as_str().unwrap();
    let done = api.wait_ended(id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert!(done["epoch"].as_u64().unwrap() >= 1);
    assert!(done["train_loss"].as_f64().unwrap() > 0.0);
    assert!(done["validation_r2"].as_f64().is_some());
    assert_eq!(
        done["curves"]["train_loss"].as_array().unwrap().len(),
        done["epoch"].as_u64().unwrap() as usize
    );
    let model_id = done["model"].as_str().unwrap().to_string();
    assert_eq!(api.get("/api/v1/jobs").await.json()[0]["id"], id);

    // The model: its description, its file, its predictions.
    let model = api.get(&format!("/api/v1/models/{model_id}")).await.json();
    assert_eq!(model["features"], json!(["x1", "x2", "x3"]));
    assert_eq!(model["target"], "y");
    assert_eq!(model["job"], id);
    assert_eq!(model["dataset"], dataset.as_str());
    assert_eq!(model["metrics"]["n"], 80);
    assert!(model["metrics"]["r2"].as_f64().unwrap() > 0.0, "{model}");
    assert_eq!(
        model["history"]["train_loss"].as_array().unwrap().len(),
        model["epochs"].as_u64().unwrap() as usize
    );
    assert_eq!(
        api.get("/api/v1/models")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let file = api.get(&format!("/api/v1/models/{model_id}/file")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains(".fdr"));
    let local = fivedreg::Interpolator::from_bytes(&file.body, "download").unwrap();

    let points = [[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]];
    let reply = api
        .post_json(
            &format!("/api/v1/models/{model_id}/predict"),
            &json!({"rows": points}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let predictions = reply.json();
    assert_eq!(predictions["target"], "y");
    for (i, p) in points.iter().enumerate() {
        assert_eq!(
            predictions["predictions"][i].as_f64().unwrap(),
            local.predict_point(p).unwrap()
        );
    }

    // The same rows as CSV, with another column passed through and the features reordered.
    let csv = "id,x3,x1,x2\n7,0.3,0.1,0.2\n8,2.0,-1.0,0.5\n";
    let reply = api
        .post_bytes(
            &format!("/api/v1/models/{model_id}/predict"),
            "text/csv",
            csv.into(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = reply.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,x3,x1,x2,y_predicted");
    for (i, line) in lines[1..].iter().enumerate() {
        let y: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
        assert_eq!(y, predictions["predictions"][i].as_f64().unwrap(), "{line}");
    }
    assert_eq!(lines.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_predictions_are_refused_with_the_row_or_line() {
    let api = Api::new();
    let (_, model) = api.trained().await;
    let path = format!("/api/v1/models/{model}/predict");
    let body = api
        .post_json(&path, &json!({"rows": [[1, 2, 3], [1, 2]]}))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(body["row"], 2, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("expects 3 features"),
        "{body}"
    );
    let body = api
        .post_json(&path, &json!({"rows": []}))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "rows");
    let body = api
        .post_json(&path, &json!({"rows": [[1, "a", 3]]}))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "rows[0][1]", "{body}");
    let body = api
        .post_json(&path, &json!({"rows": [[1e308, 1e308, 1e308]]}))
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "rows", "{body}");
    assert!(body["error"].as_str().unwrap().contains("32-bit"), "{body}");
    api.post_json(&path, &json!({"points": [[1, 2, 3]]}))
        .await
        .error(StatusCode::BAD_REQUEST);

    let cases: &[(&str, u64)] = &[
        ("x1,x2,x3\n1,2,3\n1,oops,3\n", 3),
        ("x1,x2\n1,2\n", 1),
        ("x1,x2,x3\n1,2,3\n4,5\n", 3),
        ("x1,x2,x3\n1,2,inf\n", 2),
        ("x1,x2,x3,y_predicted\n1,2,3,4\n", 1),
    ];
    for (csv, line) in cases {
        let body = api
            .post_bytes(&path, "text/csv", csv.as_bytes().to_vec())
            .await
            .error(StatusCode::BAD_REQUEST);
        assert_eq!(body["line"].as_u64(), Some(*line), "{csv:?}: {body}");
    }
    // A bad row far into a long file: still a 400 (nothing was sent before every row was
    // predicted), and no spooled file is left behind.
    let mut long = sum_of_squares(5000, 3, 9);
    long.push_str("1,2,zzz,4\n");
    let body = api
        .post_bytes(&path, "text/csv", long.into_bytes())
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(body["line"], 5002, "{body}");
    assert_eq!(
        files(&api.state.config().data_dir.join("tmp")),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_events_stream_until_the_job_ends() {
    let api = Api::new();
    let dataset = api.upload(&sum_of_squares(400, 3, 2)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = api.submit(&dataset, quick_options()).await;
    let id = job["id"].as_str().unwrap();
    // Read from the start: the stream ends by itself after the final state.
    let reply = tokio::time::timeout(
        Duration::from_secs(120),
        api.get(&format!("/api/v1/jobs/{id}/events")),
    )
    .await
    .expect("the event stream did not end");
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let events: Vec<Value> = reply
        .text()
        .split("\n\n")
        .filter_map(|block| {
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            assert!(block.contains("event: status"), "{block}");
            Some(serde_json::from_str(data).unwrap())
        })
        .collect();
    assert!(events.len() >= 2, "{events:?}");
    assert_eq!(events.last().unwrap()["state"], "done");
    let epochs: Vec<u64> = events
        .iter()
        .map(|e| e["epoch"].as_u64().unwrap())
        .collect();
    assert!(epochs.windows(2).all(|w| w[0] <= w[1]), "{epochs:?}");
    // A job that has ended gives its final state and ends at once.
    let reply = api.get(&format!("/api/v1/jobs/{id}/events")).await;
    assert_eq!(reply.text().matches("event: status").count(), 1);
}

/// A job that would train for minutes: many epochs, no early stopping.
fn long_options() -> Value {
    json!({"hidden": [32, 32], "max_epochs": 1_000_000, "early_stopping": false, "patience": 1_000_000, "threads": 2})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_during_training_cancels_and_the_data_set_is_kept_until_then() {
    let api = Api::with(|c| c.jobs = 1);
    let dataset = api.upload(&sum_of_squares(2000, 3, 4)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let running = api.submit(&dataset, long_options()).await;
    let running_id = running["id"].as_str().unwrap().to_string();
    let queued = api.submit(&dataset, quick_options()).await;
    let queued_id = queued["id"].as_str().unwrap().to_string();
    api.wait_job(&running_id, |j| {
        j["state"] == "running" && j["epoch"].as_u64() >= Some(2)
    })
    .await;
    // One slot: the second job waits.
    assert_eq!(
        api.get(&format!("/api/v1/jobs/{queued_id}")).await.json()["state"],
        "queued"
    );

    // The data set is in use.
    let body = api
        .delete(&format!("/api/v1/datasets/{dataset}"))
        .await
        .error(StatusCode::CONFLICT);
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains(&format!("{running_id} (running)")),
        "{body}"
    );
    assert!(message.contains(&format!("{queued_id} (queued)")), "{body}");

    // Cancelling the queued job ends it at once; the running one stops at its epoch's end.
    let cancelled = api.delete(&format!("/api/v1/jobs/{queued_id}")).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(cancelled.json()["state"], "cancelled");
    let cancelled = api.delete(&format!("/api/v1/jobs/{running_id}")).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text());
    let record = cancelled.json();
    assert_eq!(record["state"], "cancelled");
    assert!(record["model"].is_null());
    assert!(record["epoch"].as_u64().unwrap() >= 2);
    // No model, no stray file; and the job is recorded as cancelled on disk.
    assert_eq!(api.get("/api/v1/models").await.json(), json!([]));
    assert!(files(&api.state.config().data_dir)
        .iter()
        .all(|f| !f.starts_with("models/") && !f.starts_with("tmp/")));
    let reopened = api.reopen();
    let jobs = axum_get(&reopened, "/api/v1/jobs").await;
    assert!(
        jobs.as_array()
            .unwrap()
            .iter()
            .all(|j| j["state"] == "cancelled"),
        "{jobs}"
    );

    // Now the data set can go, and an ended job's record can be deleted.
    assert_eq!(
        api.delete(&format!("/api/v1/datasets/{dataset}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.delete(&format!("/api/v1/jobs/{running_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    api.get(&format!("/api/v1/jobs/{running_id}"))
        .await
        .error(StatusCode::NOT_FOUND);
}

async fn axum_get(state: &fivedreg_server::AppState, path: &str) -> Value {
    use tower::ServiceExt;
    let response = fivedreg_server::router(state.clone())
        .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_stored_survives_a_restart_and_cut_off_jobs_show_interrupted() {
    let api = Api::new();
    let (dataset, model) = api.trained().await;
    let point = json!({"rows": [[0.5, 0.5, 0.5]]});
    let before = api
        .post_json(&format!("/api/v1/models/{model}/predict"), &point)
        .await
        .json();
    // A job running when the server stops is interrupted at its next epoch, with no model.
    let long = api.submit(&dataset, long_options()).await;
    let long_id = long["id"].as_str().unwrap().to_string();
    api.wait_job(&long_id, |j| {
        j["state"] == "running" && j["epoch"].as_u64() >= Some(1)
    })
    .await;
    api.state.shutdown();
    assert!(api.state.wait_for_jobs(Duration::from_secs(60)).await);
    let record = api.get(&format!("/api/v1/jobs/{long_id}")).await.json();
    assert_eq!(record["state"], "interrupted", "{record}");

    // A job the server never got to record the end of (killed while running).
    let killed = "j00000000000000ff";
    let jobs_dir = api.state.config().data_dir.join("jobs");
    let mut record: Value = serde_json::from_str(
        &std::fs::read_to_string(jobs_dir.join(format!("{long_id}.json"))).unwrap(),
    )
    .unwrap();
    record["id"] = json!(killed);
    record["state"] = json!("running");
    record["error"] = Value::Null;
    std::fs::write(jobs_dir.join(format!("{killed}.json")), record.to_string()).unwrap();
    // And debris: a model file without its description, a damaged description.
    let models_dir = api.state.config().data_dir.join("models");
    std::fs::write(models_dir.join("m00000000000000aa.fdr"), b"half a model").unwrap();
    std::fs::write(models_dir.join("m00000000000000bb.json"), b"{\"id\":").unwrap();

    let restarted = Api {
        state: api.reopen(),
        dir: tempfile::tempdir().unwrap(),
        token: None,
    };
    let datasets = restarted.get("/api/v1/datasets").await.json();
    assert_eq!(datasets[0]["id"], dataset.as_str());
    let models = restarted.get("/api/v1/models").await.json();
    assert_eq!(models.as_array().unwrap().len(), 1, "{models}");
    assert_eq!(models[0]["id"], model.as_str());
    // The model is loaded from its file and predicts the same.
    let after = restarted
        .post_json(&format!("/api/v1/models/{model}/predict"), &point)
        .await
        .json();
    assert_eq!(before, after);
    let killed_record = restarted
        .get(&format!("/api/v1/jobs/{killed}"))
        .await
        .json();
    assert_eq!(killed_record["state"], "interrupted");
    // Found running: the server crashed under it, and it says so rather than resuming.
    let why = killed_record["error"].as_str().unwrap();
    assert!(
        why.contains("ended abruptly") && why.contains("not resumed"),
        "{why}"
    );
    assert_eq!(
        restarted
            .get(&format!("/api/v1/jobs/{long_id}"))
            .await
            .json()["state"],
        "interrupted"
    );
    assert!(!models_dir.join("m00000000000000aa.fdr").exists());
    // The cut-off jobs can be run again by submitting them anew: the data set is there.
    let job = restarted.submit(&dataset, quick_options()).await;
    assert_eq!(
        restarted.wait_ended(job["id"].as_str().unwrap()).await["state"],
        "done"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_upload_and_delete() {
    let api = Api::new();
    let (_, model) = api.trained().await;
    let bytes = api.get(&format!("/api/v1/models/{model}/file")).await.body;
    let reply = api
        .post_bytes(
            "/api/v1/models?name=copy.fdr",
            "application/octet-stream",
            bytes.clone(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let copy = reply.json();
    assert_eq!(copy["name"], "copy.fdr");
    assert!(copy["job"].is_null());
    let copy_id = copy["id"].as_str().unwrap().to_string();
    let point = json!({"rows": [[0.1, 0.2, 0.3]]});
    assert_eq!(
        api.post_json(&format!("/api/v1/models/{copy_id}/predict"), &point)
            .await
            .json(),
        api.post_json(&format!("/api/v1/models/{model}/predict"), &point)
            .await
            .json()
    );

    let mut corrupted = bytes.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0x55;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"x1,x2,y\n1,2,3\n".to_vec(), "not a fivedreg model file"),
        (bytes[..bytes.len() / 2].to_vec(), "truncated"),
        (corrupted, "corrupted"),
        (Vec::new(), "model"),
    ];
    for (body, words) in cases {
        let reply = api
            .post_bytes("/api/v1/models", "application/octet-stream", body)
            .await;
        let error = reply.error(StatusCode::BAD_REQUEST);
        assert!(
            error["error"].as_str().unwrap().contains(words),
            "{words}: {error}"
        );
    }
    assert_eq!(
        api.get("/api/v1/models")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        api.delete(&format!("/api/v1/models/{copy_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    api.get(&format!("/api/v1/models/{copy_id}"))
        .await
        .error(StatusCode::NOT_FOUND);
    api.post_json(&format!("/api/v1/models/{copy_id}/predict"), &point)
        .await
        .error(StatusCode::NOT_FOUND);
    assert_eq!(
        api.get("/api/v1/models")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_every_api_request_needs_it() {
    let api = Api::with(|c| c.token = Some("s3cret-token".into()));
    assert_eq!(api.get("/api/v1/health").await.status, StatusCode::OK);
    // The page itself holds no data and loads without it; it asks for the token.
    let page = api
        .send(axum::http::Request::get("/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for header_value in [
        None,
        Some("Bearer wrong"),
        Some("Bearer s3cret-toke"),
        Some("s3cret-token"),
        Some("Bearer s3cret-token2"),
    ] {
        for (method, path) in [
            (Method::GET, "/api/v1/health"),
            (Method::GET, "/api/v1/datasets"),
            (Method::POST, "/api/v1/datasets"),
            (Method::GET, "/api/v1/openapi.json"),
            (Method::GET, "/api/v1/models/m0123456789abcdef"),
        ] {
            let mut request = axum::http::Request::builder().method(method).uri(path);
            if let Some(value) = header_value {
                request = request.header(header::AUTHORIZATION, value);
            }
            let reply = api
                .send(
                    request
                        .header(header::CONTENT_TYPE, "text/csv")
                        .body(Body::from("a,b\n1,2\n"))
                        .unwrap(),
                )
                .await;
            reply.error(StatusCode::UNAUTHORIZED);
            assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
        }
    }
    assert_eq!(api.get("/api/v1/datasets").await.json(), json!([]));
}

#[test]
fn a_public_address_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let config = fivedreg_server::ServeConfig {
        listen: "0.0.0.0:8000".parse().unwrap(),
        data_dir: dir.path().join("d"),
        ..Default::default()
    };
    let error = fivedreg_server::AppState::open(config.clone())
        .err()
        .unwrap();
    assert!(error.to_string().contains("--token"), "{error}");
    assert!(
        !dir.path().join("d").exists(),
        "nothing is created for a refused setting"
    );
    let with_token = fivedreg_server::ServeConfig {
        token: Some("t0ken".into()),
        ..config.clone()
    };
    assert!(fivedreg_server::AppState::open(with_token).is_ok());
    for token in ["", "has space", "tab\t"] {
        let bad = fivedreg_server::ServeConfig {
            token: Some(token.into()),
            ..config.clone()
        };
        assert!(fivedreg_server::AppState::open(bad).is_err(), "{token:?}");
    }
    let loopback = fivedreg_server::ServeConfig {
        listen: "[::1]:0".parse().unwrap(),
        ..config
    };
    assert!(fivedreg_server::AppState::open(loopback).is_ok());
}

/// Garbage thrown at every endpoint gets a 4xx JSON answer, and the stored data set and
/// model are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_never_breaks_the_server_or_what_it_stores() {
    let api = Api::new();
    let (dataset, model) = api.trained().await;
    let data_dir = api.state.config().data_dir.clone();
    let snapshot = |dir: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        files(dir)
            .into_iter()
            .filter(|f| !f.starts_with("jobs/"))
            .map(|f| (f.clone(), std::fs::read(dir.join(&f)).unwrap()))
            .collect()
    };
    let before = snapshot(&data_dir);
    let bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\0\0\0".to_vec(),
        vec![0xff; 3000],
        b"{\"rows\": [[1,2,3]".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"{\"rows\": [[1e999, 0, 0]]}".to_vec(),
        b"{\"dataset\": 5}".to_vec(),
        format!("{{\"dataset\": \"{dataset}\", \"options\": {{\"hidden\": [-1]}}}}").into_bytes(),
        "x1,x2,x3\n\"unterminated\n".as_bytes().to_vec(),
        "\u{feff}x1,x2,x3\n1,2,3\n".as_bytes().to_vec(),
    ];
    let paths = [
        "/api/v1/datasets".to_string(),
        "/api/v1/jobs".to_string(),
        "/api/v1/models".to_string(),
        format!("/api/v1/models/{model}/predict"),
    ];
    for path in &paths {
        for body in &bodies {
            for content_type in ["application/json", "text/csv", "application/octet-stream"] {
                let reply = api.post_bytes(path, content_type, body.clone()).await;
                assert!(
                    reply.status.is_success() || reply.status.is_client_error(),
                    "{path} {content_type} {:?}: {} {}",
                    String::from_utf8_lossy(body),
                    reply.status,
                    reply.text()
                );
                if reply.status.is_client_error() {
                    reply.error(reply.status);
                } else if reply.status == StatusCode::CREATED {
                    // A valid upload among the garbage (the CSV with a byte-order mark):
                    // remove it again.
                    let id = reply.json()["id"].as_str().unwrap().to_string();
                    let kind = if id.starts_with('d') {
                        "datasets"
                    } else {
                        "models"
                    };
                    api.delete(&format!("/api/v1/{kind}/{id}")).await;
                } else if reply.status == StatusCode::ACCEPTED {
                    let id = reply.json()["id"].as_str().unwrap().to_string();
                    api.delete(&format!("/api/v1/jobs/{id}")).await;
                    api.wait_ended(&id).await;
                }
            }
        }
    }
    // Drain any job the garbage queued, so every model it trained is counted.
    for job in api.get("/api/v1/jobs").await.json().as_array().unwrap() {
        api.wait_ended(job["id"].as_str().unwrap()).await;
    }
    let after: Vec<(String, Vec<u8>)> = snapshot(&data_dir)
        .into_iter()
        .filter(|(f, _)| before.iter().any(|(g, _)| g == f))
        .collect();
    assert_eq!(before, after);
    assert_eq!(api.get("/api/v1/health").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ensembles_predict_with_a_calibrated_std() {
    let api = Api::new();
    let dataset = api.upload(&sum_of_squares(400, 3, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = api
        .submit(
            &dataset,
            json!({"hidden": [16, 8], "max_epochs": 30, "ensemble": 3, "threads": 1}),
        )
        .await;
    assert_eq!(job["kind"], "ensemble");
    assert_eq!(job["max_epochs"], 90);
    let done = api.wait_ended(job["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");
    assert!(
        done["epoch"].as_u64().unwrap() > 30,
        "the members' epochs add up: {done}"
    );
    let model = done["model"].as_str().unwrap().to_string();
    let info = api.get(&format!("/api/v1/models/{model}")).await.json();
    assert_eq!(info["members"], 3);
    assert_eq!(info["ensemble"]["fold_r2"].as_array().unwrap().len(), 3);

    let path = format!("/api/v1/models/{model}/predict");
    let reply = api
        .post_json(&path, &json!({"rows": [[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]]}))
        .await
        .json();
    let std = reply["std"].as_array().unwrap();
    assert_eq!(std.len(), 2);
    assert!(std.iter().all(|s| s.as_f64().unwrap() > 0.0), "{reply}");
    let csv = "x1,x2,x3\n0.1,0.2,0.3\n1.0,-1.0,0.5\n";
    let text = api
        .post_bytes(&format!("{path}?std=true"), "text/csv", csv.into())
        .await
        .text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "x1,x2,x3,y_predicted,y_std");
    for (i, line) in lines[1..].iter().enumerate() {
        let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(fields[3], reply["predictions"][i].as_f64().unwrap());
        assert_eq!(fields[4], std[i].as_f64().unwrap());
    }
    // Without std=true the CSV is as `fivedreg predict` writes it; a single network has none.
    let plain = api.post_bytes(&path, "text/csv", csv.into()).await.text();
    assert!(plain.starts_with("x1,x2,x3,y_predicted\n"), "{plain}");
    let (_, single) = api.trained().await;
    let body = api
        .post_bytes(
            &format!("/api/v1/models/{single}/predict?std=true"),
            "text/csv",
            csv.into(),
        )
        .await
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "std");
    let reply = api
        .post_json(
            &format!("/api/v1/models/{single}/predict"),
            &json!({"rows": [[0.1, 0.2, 0.3]]}),
        )
        .await
        .json();
    assert!(reply.get("std").is_none(), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lbfgs_and_auto_jobs_train_as_the_command_line_does() {
    let api = Api::new();
    let dataset = api.upload(&sum_of_squares(300, 3, 6)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = api
        .submit(
            &dataset,
            json!({"solver": "lbfgs", "activation": "tanh", "tol": 1e-6, "hidden": [16], "max_epochs": 50, "threads": 1}),
        )
        .await;
    let done = api.wait_ended(job["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");
    let model = api
        .get(&format!(
            "/api/v1/models/{}",
            done["model"].as_str().unwrap()
        ))
        .await
        .json();
    // L-BFGS's default split has no validation rows.
    assert_eq!(model["validation_samples"], 0);
    assert_eq!(model["options"]["network"]["solver"], "lbfgs");
    assert_eq!(model["options"]["network"]["activation"], "tanh");
    assert_eq!(model["options"]["network"]["tol"], 1e-6);

    let job = api
        .submit(&dataset, json!({"auto": true, "budget": 1, "threads": 1}))
        .await;
    assert_eq!(job["kind"], "auto");
    let done = api.wait_ended(job["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");
    assert!(!done["candidates"].as_array().unwrap().is_empty(), "{done}");
    let model = api
        .get(&format!(
            "/api/v1/models/{}",
            done["model"].as_str().unwrap()
        ))
        .await
        .json();
    let board = model["leaderboard"].as_array().unwrap();
    assert!(!board.is_empty(), "{model}");
    assert!(
        model["ensemble"].is_object(),
        "auto's winner predicts with a std: {model}"
    );
    // The model is described as the library describes the file (as `inspect --json` does).
    let file = api
        .get(&format!(
            "/api/v1/models/{}/file",
            done["model"].as_str().unwrap()
        ))
        .await
        .body;
    let kept = fivedreg::Interpolator::from_bytes(&file, "m").unwrap();
    assert_eq!(model["card"], serde_json::to_value(kept.card()).unwrap());
    assert!(model["card"]["std"].is_object(), "{model}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_as_people_save_them_upload_as_the_command_line_reads_them() {
    let api = Api::new();
    // Semicolons and tabs are detected from the header, as `fivedreg train` detects them.
    for csv in ["a;b;y\n1;2;3\n4;5;6\n", "a\tb\ty\n1\t2\t3\n4\t5\t6\n"] {
        let dataset = api.upload(csv).await;
        let names: Vec<&str> = dataset["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b", "y"], "{csv:?}: {dataset}");
        assert_eq!(dataset["rows"], 2);
        assert_eq!(dataset["columns"][2]["max"], 6.0);
    }
    // pandas' unnamed index column of row numbers is left out.
    let dataset = api.upload(",a,b,y\n0,1,2,3\n1,4,5,6\n").await;
    let columns = dataset["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 3, "{dataset}");
    assert_eq!(columns[0]["name"], "a");
}

/// The CSV prediction of `input` as the row-at-a-time code wrote it: every record's fields
/// read by the `csv` parser, written by its writer with commas, then the prediction's
/// `{:?}` text.
fn reference_csv_prediction(model: &fivedreg::Interpolator, input: &str, delimiter: u8) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(input.as_bytes());
    let header = reader.headers().unwrap().clone();
    let columns: Vec<usize> = ["x1", "x2", "x3"]
        .iter()
        .map(|name| header.iter().position(|h| h == *name).unwrap())
        .collect();
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut names: Vec<String> = header.iter().map(str::to_string).collect();
    names.push("y_predicted".into());
    out.write_record(&names).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let features: Vec<f64> = columns
            .iter()
            .map(|&c| record[c].trim().parse().unwrap())
            .collect();
        let y = model.predict(&features).unwrap()[0];
        let mut fields: Vec<String> = record.iter().map(str::to_string).collect();
        fields.push(format!("{y:?}"));
        out.write_record(&fields).unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_predictions_of_a_mixed_file_are_pinned() {
    // Plain lines over several of the block reader's blocks (a megabyte each), then lines
    // the `csv` parser must read (quotes, a CRLF end, a separator inside a field), then
    // plain lines again: the output is what the row-at-a-time code wrote, byte for byte,
    // with comma separators whatever the input's.
    let api = Api::new();
    let (_, model) = api.trained().await;
    let file = api.get(&format!("/api/v1/models/{model}/file")).await;
    let local = fivedreg::Interpolator::from_bytes(&file.body, "download").unwrap();
    let path = format!("/api/v1/models/{model}/predict");
    for delimiter in [b',', b';', b'\t'] {
        let d = delimiter as char;
        let mut input = format!("id{d}x2{d}x1{d}x3\n");
        let mut rng = 7u64;
        let mut value = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((rng >> 33) % 20001) as f64 / 10000.0 - 1.0
        };
        for i in 0..40_000 {
            input.push_str(&format!("r{i}{d}{}{d}{}{d}{}\n", value(), value(), value()));
        }
        let odd_sep = if delimiter == b',' { ';' } else { ',' };
        input.push_str(&format!("\"a{d}b\"{d}0.5{d}-0.25{d}1\n"));
        input.push_str(&format!("\"say \"\"hi\"\"\"{d}0.1{d}0.2{d}0.3\r\n"));
        input.push_str(&format!("plain{odd_sep}text{d}0.7{d}0.1{d}\"-0.5\"\n"));
        input.push_str(&format!("{d}1e-3{d}2.5E-1{d}0.000123456789012345\n"));
        for i in 0..300 {
            input.push_str(&format!("s{i}{d}{}{d}{}{d}{}\n", value(), value(), value()));
        }
        let expected = reference_csv_prediction(&local, &input, delimiter);
        let reply = api
            .post_bytes(&path, "text/csv", input.clone().into_bytes())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let text = reply.text();
        assert_eq!(text.lines().count(), 40_305);
        assert!(text == expected, "separator {d:?}: the output differs");
        // A file of plain lines only: the input lines as read.
        let plain: String = input.lines().take(1001).map(|l| format!("{l}\n")).collect();
        let expected = reference_csv_prediction(&local, &plain, delimiter);
        let text = api
            .post_bytes(&path, "text/csv", plain.into_bytes())
            .await
            .text();
        assert!(text == expected, "separator {d:?}: plain lines differ");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_cancels_an_ensemble_training_in_step() {
    // Members with early stopping train in step on the training pool's threads; a cancel
    // unwinds out of the epoch callback between two epochs and stops them all.
    let api = Api::with(|c| c.jobs = 1);
    let dataset = api.upload(&sum_of_squares(2000, 3, 4)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let options = json!({"hidden": [32, 32], "ensemble": 4, "max_epochs": 1_000_000,
        "patience": 1_000_000, "tol": 0.0, "threads": 2});
    let running = api.submit(&dataset, options).await;
    let id = running["id"].as_str().unwrap().to_string();
    api.wait_job(&id, |j| {
        j["state"] == "running" && j["epoch"].as_u64() >= Some(3)
    })
    .await;
    let cancelled = api.delete(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text());
    let record = cancelled.json();
    assert_eq!(record["state"], "cancelled");
    assert!(record["model"].is_null());
    // The slot is free again: a quick job runs to the end.
    let quick = api.submit(&dataset, quick_options()).await;
    let quick_id = quick["id"].as_str().unwrap().to_string();
    let done = api.wait_ended(&quick_id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        api.get("/api/v1/models")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// A DELETE of a running `auto` job stops its search: the library sees the job's stop
/// flag at its next minibatch, L-BFGS iteration or candidate, so the DELETE answers with
/// the final state (200, cancelled), not 202 after waiting for a candidate to end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_stops_a_running_auto_search() {
    let api = Api::with(|c| c.jobs = 1);
    let dataset = api.upload(&sum_of_squares(3000, 5, 6)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let options = json!({"auto": true, "budget": 100000, "max_epochs": 1_000_000,
        "patience": 1_000_000, "tol": 0.0, "threads": 2});
    let running = api.submit(&dataset, options).await;
    let id = running["id"].as_str().unwrap().to_string();
    api.wait_job(&id, |j| j["state"] == "running").await;
    let cancelled = api.delete(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text());
    let record = cancelled.json();
    assert_eq!(record["state"], "cancelled", "{record}");
    assert!(record["model"].is_null());
}

/// A table saved with `df.to_csv` with a text run ID (issue 32): the upload leaves out the
/// index and the ID with a note each, a job trains on the rest; `features` and `drop` choose
/// columns as `fivedreg train --features/--drop` do; a column mixing numbers and text is
/// refused with its line and column and the `--drop` hint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_columns_are_left_out_and_jobs_choose_their_features() {
    let api = Api::new();
    let mut csv = String::from("run_id,a,b,c,y\n");
    for i in 0..300 {
        let (a, b, c) = (
            (i % 11) as f64 / 5.0 - 1.0,
            (i % 7) as f64 / 3.0 - 1.0,
            (i % 5) as f64 / 2.0 - 1.0,
        );
        csv.push_str(&format!("run-1-{i:04},{a},{b},{c},{}\n", a + 2.0 * b));
    }
    let dataset = api.upload(&csv).await;
    let names: Vec<&str> = dataset["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c", "y"], "{dataset}");
    assert_eq!(dataset["text_columns"], json!(["run_id"]));
    assert_eq!(
        dataset["notes"],
        json!(["the column run_id holds text in every row: left out of the features"])
    );
    let id = dataset["id"].as_str().unwrap();
    let train = |body: Value| {
        let api = &api;
        async move {
            let reply = api.post_json("/api/v1/jobs", &body).await;
            assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
            let job = api.wait_ended(reply.json()["id"].as_str().unwrap()).await;
            assert_eq!(job["state"], "done", "{job}");
            let model = job["model"].as_str().unwrap();
            api.get(&format!("/api/v1/models/{model}")).await.json()
        }
    };
    let model = train(json!({"dataset": id, "options": quick_options()})).await;
    assert_eq!(model["features"], json!(["a", "b", "c"]));
    let model = train(json!({"dataset": id, "drop": ["c"], "options": quick_options()})).await;
    assert_eq!(model["features"], json!(["a", "b"]));
    let model =
        train(json!({"dataset": id, "features": ["b", "a"], "options": quick_options()})).await;
    assert_eq!(model["features"], json!(["b", "a"]));
    // Bad choices name their field.
    for (body, field, words) in [
        (json!({"dataset": id, "drop": ["nope"]}), "drop", "nope"),
        (
            json!({"dataset": id, "features": ["a", "y"]}),
            "features",
            "target",
        ),
        (
            json!({"dataset": id, "features": ["run_id"]}),
            "features",
            "text",
        ),
        (
            json!({"dataset": id, "drop": ["a", "b", "c"]}),
            "drop",
            "no feature",
        ),
    ] {
        let e = api
            .post_json("/api/v1/jobs", &body)
            .await
            .error(StatusCode::BAD_REQUEST);
        assert_eq!(e["field"], field, "{body}: {e}");
        assert!(e["error"].as_str().unwrap().contains(words), "{body}: {e}");
    }
    // A column of numbers with text on line 4: refused at upload, with the hint.
    let reply = api
        .post_bytes(
            "/api/v1/datasets",
            "text/csv",
            "id,a,y\n1,0.5,1\n2,0.25,2\nr3,0.1,3\n".into(),
        )
        .await;
    let e = reply.error(StatusCode::BAD_REQUEST);
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(4), Some(1)),
        "{e}"
    );
    assert!(e["error"].as_str().unwrap().contains("--drop id"), "{e}");
}

/// Issue 32's smaller points, over HTTP: the training loss is in the target's units squared
/// (as `train --history` writes it), predictions say which rows are extrapolations (as
/// `predict --flag-domain`), and docs/serve.md shows the model format version the server
/// reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losses_in_target_units_extrapolation_flags_and_the_documented_version() {
    let api = Api::new();
    // A target in the thousands, so that scaled and unscaled losses differ by far.
    let mut csv = String::from("a,b,y\n");
    for i in 0..300 {
        let (a, b) = ((i % 17) as f64 / 8.0 - 1.0, (i % 13) as f64 / 6.0 - 1.0);
        csv.push_str(&format!("{a},{b},{}\n", 5000.0 * (a + b * b)));
    }
    let dataset = api.upload(&csv).await;
    let job = api
        .submit(dataset["id"].as_str().unwrap(), quick_options())
        .await;
    let job = api.wait_ended(job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    let model_id = job["model"].as_str().unwrap();
    let file = api.get(&format!("/api/v1/models/{model_id}/file")).await;
    let model = fivedreg::Interpolator::from_bytes(&file.body, "download").unwrap();
    let factor = model.target_scaler().scale()[0].powi(2);
    assert!(factor > 1e5, "{factor}");
    let scaled = &model.summary().history.train_loss;
    let curve = job["curves"]["train_loss"].as_array().unwrap();
    assert_eq!(curve.len(), scaled.len());
    for (live, stored) in curve.iter().zip(scaled) {
        let live = live.as_f64().unwrap();
        // The model file keeps the curve at f32 precision.
        assert!(
            (live - stored * factor).abs() <= 1e-6 * live.abs(),
            "{live} {stored} {factor}"
        );
    }
    assert_eq!(job["train_loss"], *curve.last().unwrap());
    let detail = api.get(&format!("/api/v1/models/{model_id}")).await.json();
    let stored = detail["history"]["train_loss"].as_array().unwrap();
    assert_eq!(stored.len(), curve.len());
    for (a, b) in stored.iter().zip(curve) {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!((a - b).abs() <= 1e-6 * b.abs(), "{a} {b}");
    }

    // A point inside the data and one far outside it.
    let reply = api
        .post_json(
            &format!("/api/v1/models/{model_id}/predict"),
            &json!({"rows": [[0.1, 0.2], [5.0, 9.0]]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["extrapolated"], json!([false, true]));
    let reply = api
        .post_bytes(
            &format!("/api/v1/models/{model_id}/predict?flag_domain=true"),
            "text/csv",
            "a,b\n0.1,0.2\n5,9\n".into(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let text = reply.text();
    let flags: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(flags, ["y_extrapolated", "false", "true"], "{text}");

    // The health answer, as docs/serve.md shows it.
    let health = api.get("/api/v1/health").await.json();
    assert_eq!(health["model_format_version"], fivedreg::FORMAT_VERSION);
    let doc = include_str!("../../../docs/serve.md");
    let shown = format!("\"model_format_version\":{}}}", fivedreg::FORMAT_VERSION);
    assert!(doc.contains(&shown), "docs/serve.md does not show {shown}");
}

/// R² of `predicted` against `actual`, computed here from its definition.
fn r2_of(actual: &[f64], predicted: &[f64]) -> f64 {
    let n = actual.len() as f64;
    let mean = actual.iter().sum::<f64>() / n;
    let total: f64 = actual.iter().map(|a| (a - mean) * (a - mean)).sum();
    let residual: f64 = actual
        .iter()
        .zip(predicted)
        .map(|(a, p)| (a - p) * (a - p))
        .sum();
    1.0 - residual / total
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// A trained model keeps its test rows' predictions: the very rows its test metrics were
/// computed on (their R² is the model's test R²), for a network, an ensemble and `auto`;
/// they survive a restart, and a model uploaded as a file has none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_predictions_are_the_rows_the_test_metrics_were_computed_on() {
    let api = Api::new();
    let dataset = api.upload(&sum_of_squares(300, 3, 11)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut trained = Vec::new();
    for options in [
        json!({"hidden": [16, 8], "max_epochs": 40, "seed": 5, "threads": 1}),
        json!({"hidden": [8], "max_epochs": 20, "ensemble": 3, "seed": 9, "threads": 1, "split": [0.5, 0.2, 0.3]}),
        json!({"auto": true, "budget": 1, "seed": 4, "threads": 1}),
    ] {
        let job = api.submit(&dataset, options.clone()).await;
        let done = api.wait_ended(job["id"].as_str().unwrap()).await;
        assert_eq!(done["state"], "done", "{done}");
        let id = done["model"].as_str().unwrap().to_string();
        let model = api.get(&format!("/api/v1/models/{id}")).await.json();
        let t = &model["test_predictions"];
        let (actual, predicted) = (numbers(&t["actual"]), numbers(&t["predicted"]));
        let n = model["metrics"]["n"].as_u64().unwrap() as usize;
        assert_eq!(t["test_rows"], json!(n), "{options}");
        assert_eq!(
            actual.len(),
            n,
            "{options}: every test row (fewer than 2,000)"
        );
        assert_eq!(predicted.len(), n, "{options}");
        let r2 = model["metrics"]["r2"].as_f64().unwrap();
        let recomputed = r2_of(&actual, &predicted);
        assert!(
            (recomputed - r2).abs() < 1e-9,
            "{options}: R² of the test predictions {recomputed} vs the model's {r2}"
        );
        // The list stays light: the points are in the model's own document only.
        let listed = api.get("/api/v1/models").await.json();
        let entry = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == json!(id))
            .unwrap()
            .clone();
        assert!(entry.get("test_predictions").is_none(), "{entry}");
        trained.push((id, t.clone()));
    }

    // After a restart, the same points.
    let restarted = Api {
        state: api.reopen(),
        ..api
    };
    for (id, t) in &trained {
        let model = restarted.get(&format!("/api/v1/models/{id}")).await.json();
        assert_eq!(&model["test_predictions"], t, "{id} after a restart");
    }

    // A model uploaded as a file has none.
    let (id, _) = &trained[0];
    let file = restarted
        .get(&format!("/api/v1/models/{id}/file"))
        .await
        .body;
    let uploaded = restarted
        .post_bytes(
            "/api/v1/models?name=copy.fdr",
            "application/octet-stream",
            file,
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text());
    let copy = uploaded.json()["id"].as_str().unwrap().to_string();
    let model = restarted
        .get(&format!("/api/v1/models/{copy}"))
        .await
        .json();
    assert!(model["metrics"]["r2"].is_number(), "{model}");
    assert_eq!(model["test_predictions"], Value::Null, "{model}");
}

/// The page as served, before any script runs, lists the data sets and models (the newest
/// selected), the options' sliders at their defaults, with every name escaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_as_served_has_its_lists_and_sliders_filled_in() {
    let api = Api::new();
    let empty = api.get("/").await.text();
    assert!(!empty.contains("<!--"), "a placeholder is left");
    assert!(empty.contains("no model yet"), "{empty}");
    assert!(empty.contains("id=\"slider-learning_rate\""), "{empty}");
    let reply = api
        .post_bytes(
            "/api/v1/datasets?name=%3Cb%3E%22x%22%26.csv",
            "text/csv",
            sum_of_squares(50, 2, 1).into(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let dataset = reply.json();
    let (_, model) = api.trained().await;
    let html = api.get("/").await.text();
    assert!(
        html.contains(&format!("<option value=\"{model}\" selected>")),
        "{html}"
    );
    let listed = api.get(&format!("/api/v1/models/{model}")).await.json();
    let r2 = listed["metrics"]["r2"].as_f64().unwrap();
    assert!(html.contains(&format!("R² {r2:.6}")), "{html}");
    assert!(html.contains(&format!(
        "<option value=\"{}\"",
        dataset["id"].as_str().unwrap()
    )));
    assert!(html.contains("&lt;b&gt;&quot;x&quot;&amp;.csv"), "{html}");
    assert!(!html.contains("<b>\"x\""), "{html}");
    let defaults = fivedreg::MlpParams::default();
    assert!(
        html.contains(&format!(
            "id=\"opt-learning_rate\" value=\"{}\"",
            defaults.learning_rate
        )),
        "{html}"
    );
    assert!(html.contains("name=\"x1\""), "the point's inputs: {html}");

    // A server with a token shows its lists to no one who has not given it.
    let guarded = Api::with(|c| c.token = Some("secret".into()));
    let reply = guarded
        .send(
            guarded
                .request(Method::GET, "/")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let html = reply.text();
    assert!(html.contains("give the token"), "{html}");
    assert!(html.contains("id=\"slider-learning_rate\""), "{html}");
}

/// More than 2,000 test rows: 2,000 are kept, evenly spaced over the split's order (the
/// rows of the library's split with the job's split and seed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_2000_test_predictions_are_kept_evenly_spaced() {
    let api = Api::new();
    let rows = 6000;
    let dataset = api.upload(&sum_of_squares(rows, 3, 2)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let options = json!({"hidden": [8], "max_epochs": 5, "seed": 3, "threads": 1,
                         "split": [0.5, 0.1, 0.4]});
    let job = api.submit(&dataset, options).await;
    let done = api.wait_ended(job["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");
    let model = api
        .get(&format!(
            "/api/v1/models/{}",
            done["model"].as_str().unwrap()
        ))
        .await
        .json();
    let t = &model["test_predictions"];
    assert_eq!(t["test_rows"], json!(2400));
    assert_eq!(model["metrics"]["n"], json!(2400));
    let actual = numbers(&t["actual"]);
    assert_eq!(actual.len(), fivedreg_server::MAX_TEST_POINTS);
    assert_eq!(numbers(&t["predicted"]).len(), actual.len());
    let data = fivedreg_data::generate(fivedreg_data::TestFunction::SumOfSquares, rows, 3, 0.0, 2)
        .unwrap();
    let split = fivedreg_data::SplitFractions::new(0.5, 0.1, 0.4).unwrap();
    let test = fivedreg_data::split_indices(rows, split, 3).unwrap().test;
    let expected: Vec<f64> = (0..2000)
        .map(|i| data.targets()[test[i * test.len() / 2000]])
        .collect();
    assert_eq!(actual, expected);
}
