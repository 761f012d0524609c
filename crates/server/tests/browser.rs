//! The page in a real headless browser: Debian's chromium, driven over the DevTools protocol
//! through a pipe (`--remote-debugging-pipe`: JSON messages ended by a NUL byte, commands
//! on the browser's fd 3, replies and events on its fd 4), so no WebSocket or driver crate
//! is needed. It uploads a CSV, trains with the sliders' values, waits for the metrics,
//! predicts a point, checks the sensitivity chart and a slice redrawn after a slider
//! moves, predicts a CSV file, reloads (the selected model's curves and metrics show
//! again), checks the page against the API, and takes a
//! screenshot (into `$FIVEDREG_SCREENSHOT` when set, e.g. `docs/serve-page.png`).
//!
//! It runs whenever a chromium binary exists (`$FIVEDREG_CHROMIUM`, or `chromium`,
//! `chromium-browser`, `google-chrome` on the PATH); `.ci/run` installs Debian's. Without
//! one it says so on stderr and passes, except under CI (`CI=true`, as `.ci/run` and GitHub
//! Actions set it), where a missing chromium fails the test.

mod common;

use common::Api;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FIVEDREG_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Whether this run is CI's (`CI=true` or `CI=1`), where a test may not skip.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A headless chromium and one page of it, attached over the pipe.
struct Browser {
    child: Child,
    commands: ChildStdin,
    replies: mpsc::Receiver<Value>,
    next_id: u64,
    session: Option<String>,
    /// Events that arrived while waiting for replies.
    events: Vec<Value>,
    log: PathBuf,
}

impl Browser {
    fn launch(chromium: &Path, profile: &Path) -> Browser {
        let log = profile.with_extension("log");
        let stderr = std::fs::File::create(&log).unwrap();
        // The shell hands our pipes to the browser as fds 3 (commands) and 4 (replies).
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--mute-audio",
                "--force-device-scale-factor=1",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("cannot start chromium");
        let commands = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                if message.last() == Some(&0) {
                    message.pop();
                }
                if let Ok(value) = serde_json::from_slice::<Value>(&message) {
                    if tx.send(value).is_err() {
                        break;
                    }
                }
                message.clear();
            }
        });
        Browser {
            child,
            commands,
            replies,
            next_id: 0,
            session: None,
            events: Vec::new(),
            log,
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Sends a command (to the page once attached) and waits for its reply.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        if let Err(e) = self.commands.write_all(&bytes) {
            panic!("chromium stopped ({e}); its log:\n{}", self.log_tail());
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reply = match self.replies.recv_timeout(left) {
                Ok(reply) => reply,
                Err(e) => panic!(
                    "no reply to {method} ({e}); chromium's log:\n{}",
                    self.log_tail()
                ),
            };
            if reply["id"] == id {
                if let Some(error) = reply.get("error") {
                    panic!("{method} failed: {error}");
                }
                return reply["result"].clone();
            }
            if reply.get("method").is_some() {
                self.events.push(reply);
            }
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise); its value.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(details) = result.get("exceptionDetails") {
            panic!("{expression}: {details}");
        }
        result["result"]["value"].clone()
    }

    /// Polls `condition` until it is true; panics with `what` after `seconds`.
    fn wait_for(&mut self, condition: &str, what: &str, seconds: u64) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while self.eval(condition) != json!(true) {
            if Instant::now() > deadline {
                let status = self.eval("document.body.innerText");
                panic!("timed out waiting for {what}; the page says:\n{status}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sets the file of the `<input type=file>` at `selector`, as a user choosing it would.
    fn choose_file(&mut self, selector: &str, file: &Path) {
        let document = self.call("DOM.getDocument", json!({"depth": 0}));
        let root = document["root"]["nodeId"].clone();
        let node = self.call(
            "DOM.querySelector",
            json!({"nodeId": root, "selector": selector}),
        );
        self.call(
            "DOM.setFileInputFiles",
            json!({"nodeId": node["nodeId"], "files": [file.display().to_string()]}),
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    digits
        .chunks(4)
        .flat_map(|chunk| {
            let n =
                chunk.iter().fold(0u32, |n, &d| (n << 6) | u32::from(d)) << (6 * (4 - chunk.len()));
            let bytes = n.to_be_bytes();
            bytes[1..chunk.len()].to_vec()
        })
        .collect()
}

#[test]
fn base64_decodes() {
    assert_eq!(decode_base64("aGVsbG8="), b"hello");
    assert_eq!(decode_base64("aGVsbG8h"), b"hello!");
    assert_eq!(decode_base64("aGk="), b"hi");
}

#[test]
fn the_page_uploads_trains_and_predicts_in_a_real_browser() {
    let Some(chromium) = find_chromium() else {
        assert!(
            !under_ci(),
            "no chromium binary under CI (CI=true): the browser test must run there \
             (apt-get install chromium, or set FIVEDREG_CHROMIUM)"
        );
        // Written past the test harness's capture, so that the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_page_uploads_trains_and_predicts_in_a_real_browser: no chromium \
             binary (apt-get install chromium, or set FIVEDREG_CHROMIUM)"
        );
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let api = Api::new();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(fivedreg_server::serve(listener, api.state.clone(), async {
        let _ = stopped.await;
    }));

    // The seed task, and a few fresh points for the batch prediction.
    let work = api.dir.path();
    let train_csv = work.join("seed-task.csv");
    let data = fivedreg_data::generate(fivedreg_data::TestFunction::SumOfSquares, 3000, 5, 0.1, 42)
        .unwrap();
    fivedreg_data::write_csv(&data, std::fs::File::create(&train_csv).unwrap()).unwrap();
    let batch_csv = work.join("fresh.csv");
    let fresh =
        fivedreg_data::generate(fivedreg_data::TestFunction::SumOfSquares, 25, 5, 0.0, 7).unwrap();
    fivedreg_data::write_csv(&fresh, std::fs::File::create(&batch_csv).unwrap()).unwrap();

    let mut browser = Browser::launch(&chromium, &work.join("chromium-profile"));
    let targets = browser.call("Target.getTargets", json!({}));
    let page = targets["targetInfos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "page")
        .map(|t| t["targetId"].clone())
        .unwrap_or_else(|| {
            browser.call("Target.createTarget", json!({"url": "about:blank"}))["targetId"].clone()
        });
    let attached = browser.call(
        "Target.attachToTarget",
        json!({"targetId": page, "flatten": true}),
    );
    browser.session = Some(attached["sessionId"].as_str().unwrap().to_string());
    browser.call("Runtime.enable", json!({}));
    browser.call("Log.enable", json!({}));
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 900, "height": 1200, "deviceScaleFactor": 1, "mobile": false}),
    );
    browser.call("Page.navigate", json!({"url": format!("http://{addr}/")}));
    browser.wait_for("window.appReady === true", "the page to load", 30);

    // 1. Upload.
    browser.choose_file("#dataset-file", &train_csv);
    browser.eval("document.querySelector('#upload').click()");
    browser.wait_for(
        "document.querySelectorAll('#dataset-columns tbody tr').length === 6",
        "the data set's columns",
        30,
    );
    assert_eq!(
        browser.eval("document.querySelector('#target').value"),
        json!("y")
    );

    // 2. Train, with a slider moved as a user would.
    let options = browser.eval("JSON.stringify([...document.querySelectorAll('#params input[type=range]')].map(s => s.id))");
    assert!(
        options.as_str().unwrap().contains("slider-learning_rate"),
        "{options}"
    );
    browser.eval(
        "(() => { const s = document.querySelector('#slider-max_epochs'); \
         s.value = 560; s.dispatchEvent(new Event('input')); })()",
    );
    let max_epochs: u64 = browser
        .eval("document.querySelector('#opt-max_epochs').value")
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((50..=200).contains(&max_epochs), "{max_epochs}");
    browser.eval("document.querySelector('#train').click()");
    browser.wait_for(
        "(() => { const s = document.querySelector('#job-status'); \
         return s.classList.contains('bad') || (s.dataset.state === 'done' && \
         document.querySelectorAll('#metrics tbody tr').length > 0); })()",
        "the training to finish",
        300,
    );
    let status = browser.eval("document.querySelector('#job-status').textContent");
    assert!(status.as_str().unwrap().starts_with("done"), "{status}");
    let metrics = browser.eval("document.querySelector('#metrics').innerText");
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains("R²") && metrics.contains("RMSE"),
        "{metrics}"
    );
    let model_id = browser.eval("document.querySelector('#model-select').value");
    let model_id = model_id.as_str().unwrap().to_string();
    assert!(model_id.starts_with('m'), "{model_id}");
    // The job trained with the slider's value.
    let runtime_api = runtime.handle().clone();
    let model = runtime_api
        .block_on(api.get(&format!("/api/v1/models/{model_id}")))
        .json();
    assert_eq!(model["options"]["network"]["max_epochs"], json!(max_epochs));
    let r2 = model["metrics"]["r2"].as_f64().unwrap();
    assert!(
        metrics.contains(&format!("{}", r2).chars().take(6).collect::<String>()),
        "{metrics} vs {r2}"
    );

    // 2b. The test rows' predicted-against-actual plot and its residuals: one point per row
    // the API gives.
    let points = model["test_predictions"]["actual"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        json!(points),
        model["metrics"]["n"],
        "every test row of a small data set"
    );
    browser.wait_for(
        &format!(
            "document.querySelector('#parity-chart').dataset.model === '{model_id}' && \
             document.querySelector('#parity-chart').dataset.points === '{points}'"
        ),
        "the predicted-against-actual plot",
        30,
    );
    assert_eq!(
        browser.eval("document.querySelectorAll('#parity-chart circle.point').length"),
        json!(points)
    );
    assert_eq!(
        browser.eval("document.querySelectorAll('#residual-chart circle.point').length"),
        json!(points)
    );
    assert_eq!(
        browser.eval("document.querySelectorAll('#parity-chart line.diagonal').length"),
        json!(1),
        "the line y = x"
    );
    // A single network has no leaderboard.
    assert_eq!(
        browser.eval("document.querySelectorAll('#leaderboard tbody tr').length"),
        json!(0)
    );

    // 2c. The page as served, before any script: the model is listed and selected, the
    // data set too, and the options have their sliders.
    let served = runtime_api.block_on(api.get("/")).text();
    assert!(
        served.contains(&format!("<option value=\"{model_id}\" selected>")),
        "{served}"
    );
    assert!(served.contains("id=\"slider-max_epochs\""), "{served}");
    assert!(served.contains("id=\"slider-learning_rate\""), "{served}");
    assert!(!served.contains("<select id=\"model-select\"></select>"));
    assert!(!served.contains("<select id=\"dataset-select\"></select>"));

    // 3. Predict one point.
    browser.eval(
        "(() => { const inputs = document.querySelectorAll('#point-inputs input'); \
         [0.1, 0.2, 0.3, 0.4, 0.5].forEach((v, i) => { inputs[i].value = v; }); \
         document.querySelector('#predict-point').click(); })()",
    );
    browser.wait_for(
        "document.querySelector('#point-result').dataset.value !== undefined",
        "the point's prediction",
        30,
    );
    let shown: f64 = browser
        .eval("document.querySelector('#point-result').dataset.value")
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected = runtime_api
        .block_on(api.post_json(
            &format!("/api/v1/models/{model_id}/predict"),
            &json!({"rows": [[0.1, 0.2, 0.3, 0.4, 0.5]]}),
        ))
        .json()["predictions"][0]
        .as_f64()
        .unwrap();
    assert_eq!(shown, expected);
    assert!(
        (shown - 0.55).abs() < 0.5,
        "the seed task at this point is 0.55, predicted {shown}"
    );

    // 3b. Explore the model: the sensitivity chart shows the API's indices, and moving a
    // held input's slider redraws the slice from a new request.
    browser.wait_for(
        &format!(
            "document.querySelector('#sensitivity-chart').dataset.model === '{model_id}' && \
             document.querySelectorAll('#sensitivity-chart rect.bar').length === 10"
        ),
        "the sensitivity chart",
        60,
    );
    let bars = browser.eval(
        "JSON.stringify([...document.querySelectorAll('#sensitivity-chart rect.bar')].map(r => \
         [r.dataset.input, r.dataset.index, r.dataset.value, r.dataset.conf]))",
    );
    let bars: Vec<(String, String, String, String)> =
        serde_json::from_str(bars.as_str().unwrap()).unwrap();
    let indices = runtime_api
        .block_on(api.post_json(
            &format!("/api/v1/models/{model_id}/sensitivity"),
            &json!({}),
        ))
        .json();
    for (input, index, value, conf) in &bars {
        let row = indices["indices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["input"] == json!(input))
            .unwrap();
        let parse = |text: &str| text.parse::<f64>().unwrap();
        assert_eq!(
            parse(value),
            row[index.as_str()].as_f64().unwrap(),
            "{input} {index}"
        );
        let conf_name = format!("{index}_conf");
        assert_eq!(
            parse(conf),
            row[conf_name.as_str()].as_f64().unwrap(),
            "{input} {index}"
        );
    }
    browser.wait_for(
        "document.querySelector('#slice-chart').dataset.input === 'x1' && \
         document.querySelector('#slice-curve') !== null && \
         document.querySelectorAll('#held-inputs input[type=range]').length === 4",
        "the slice along x1",
        60,
    );
    assert_eq!(
        browser.eval("document.querySelector('#slice-band') === null"),
        json!(true),
        "a single network has no std band"
    );
    let before = browser.eval("document.querySelector('#slice-curve').dataset.y");
    let moved = browser.eval(
        "(() => { const s = document.querySelector('#held-x3'); s.value = s.max; \
         s.dispatchEvent(new Event('input')); return Number(s.value); })()",
    );
    let moved = moved.as_f64().unwrap();
    browser.wait_for(
        &format!("JSON.parse(document.querySelector('#slice-chart').dataset.at)[2] === {moved}"),
        "the slice to be redrawn after moving a slider",
        60,
    );
    let drawn = browser.eval(
        "(() => { const c = document.querySelector('#slice-curve'); \
         return [c.dataset.x, c.dataset.y, document.querySelector('#slice-chart').dataset.at]; })()",
    );
    let parse = |v: &Value| -> Vec<f64> { serde_json::from_str(v.as_str().unwrap()).unwrap() };
    let (xs, ys, at) = (parse(&drawn[0]), parse(&drawn[1]), parse(&drawn[2]));
    assert_ne!(drawn[1], before, "the curve did not change");
    assert_eq!(at[2], moved);
    // The drawn curve is the model's prediction at those points.
    let rows: Vec<Vec<f64>> = xs
        .iter()
        .map(|&x| {
            let mut row = at.clone();
            row[0] = x;
            row
        })
        .collect();
    let predicted = runtime_api
        .block_on(api.post_json(
            &format!("/api/v1/models/{model_id}/predict"),
            &json!({ "rows": rows }),
        ))
        .json();
    let predicted: Vec<f64> = predicted["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(ys, predicted);

    // 4. Predict a CSV file and get a download.
    browser.choose_file("#batch-file", &batch_csv);
    browser.eval("document.querySelector('#predict-batch').click()");
    browser.wait_for(
        "!document.querySelector('#batch-download').hidden",
        "the batch predictions",
        30,
    );
    let link = browser.eval("[document.querySelector('#batch-download').href, document.querySelector('#batch-download').textContent]");
    assert!(link[0].as_str().unwrap().starts_with("blob:"), "{link}");
    assert!(link[1].as_str().unwrap().contains("(25 rows)"), "{link}");
    let downloaded = browser.eval("document.querySelector('#batch-download').blob.text()");
    let downloaded = downloaded.as_str().unwrap();
    assert!(
        downloaded.starts_with("x1,x2,x3,x4,x5,y,y_predicted\n"),
        "{downloaded}"
    );
    assert_eq!(downloaded.lines().count(), 26);

    // 5. A reload shows the selected model's curves and metrics, with an R² precise enough
    // to tell models apart, though this page watched no job.
    browser.call("Page.reload", json!({}));
    browser.wait_for("window.appReady === true", "the page to reload", 30);
    browser.wait_for(
        &format!("document.querySelector('#metrics').dataset.model === '{model_id}'"),
        "the selected model's metrics after a reload",
        30,
    );
    let metrics = browser.eval("document.querySelector('#metrics').innerText");
    let metrics = metrics.as_str().unwrap();
    assert!(metrics.contains(&format!("{r2:.6}")), "{metrics} vs {r2}");
    let curve = browser.eval("state.curves.train_loss.length");
    assert_eq!(curve, model["epochs"], "the curve after a reload");
    let listed =
        browser.eval("document.querySelector('#model-select').selectedOptions[0].textContent");
    assert!(
        listed.as_str().unwrap().contains(&format!("R² {r2:.6}")),
        "{listed} vs {r2}"
    );

    // 6. An auto model shows its leaderboard, best first; a model uploaded as a file has
    // no test rows, and the page says so.
    // Each model's sensitivity indices are waited for before the next is selected: the
    // analyses have few slots, and a page switching faster than they end is refused some.
    let sensitivity_of =
        |id: &str| format!("document.querySelector('#sensitivity-chart').dataset.model === '{id}'");
    browser.wait_for(&sensitivity_of(&model_id), "the sensitivity chart", 60);
    let dataset_id = browser.eval("document.querySelector('#dataset-select').value");
    let auto_job = runtime_api.block_on(api.submit(
        dataset_id.as_str().unwrap(),
        json!({"auto": true, "budget": 1, "threads": 1, "seed": 2}),
    ));
    let auto_job = runtime_api.block_on(api.wait_ended(auto_job["id"].as_str().unwrap()));
    assert_eq!(auto_job["state"], "done", "{auto_job}");
    let auto_id = auto_job["model"].as_str().unwrap().to_string();
    let auto_model = runtime_api
        .block_on(api.get(&format!("/api/v1/models/{auto_id}")))
        .json();
    let board = auto_model["leaderboard"].as_array().unwrap().clone();
    browser.eval(&format!("loadModels('{auto_id}')"));
    browser.wait_for(
        &format!(
            "document.querySelector('#leaderboard').dataset.model === '{auto_id}' && \
             document.querySelector('#parity-chart').dataset.model === '{auto_id}'"
        ),
        "the auto model's leaderboard",
        30,
    );
    browser.wait_for(&sensitivity_of(&auto_id), "the sensitivity chart", 60);
    let rows = browser.eval(
        "JSON.stringify([...document.querySelectorAll('#leaderboard tbody tr')].map(tr => \
         [...tr.children].map(td => td.textContent)))",
    );
    let rows: Vec<Vec<String>> = serde_json::from_str(rows.as_str().unwrap()).unwrap();
    assert_eq!(rows.len(), board.len(), "{rows:?}");
    let best = board
        .iter()
        .max_by(|a, b| {
            a["cv_r2_mean"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["cv_r2_mean"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(rows[0][0], best["config"].as_str().unwrap(), "{rows:?}");
    let points = auto_model["test_predictions"]["actual"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        browser.eval("document.querySelectorAll('#parity-chart circle.point').length"),
        json!(points)
    );
    let file = runtime_api
        .block_on(api.get(&format!("/api/v1/models/{auto_id}/file")))
        .body;
    let uploaded = runtime_api
        .block_on(api.post_bytes(
            "/api/v1/models?name=copy.fdr",
            "application/octet-stream",
            file,
        ))
        .json();
    let copy = uploaded["id"].as_str().unwrap().to_string();
    browser.eval(&format!("loadModels('{copy}')"));
    browser.wait_for(
        &format!(
            "document.querySelector('#parity-chart').dataset.model === '{copy}' && \
             document.querySelector('#parity-chart').dataset.points === '0'"
        ),
        "the uploaded model's note",
        30,
    );
    browser.wait_for(&sensitivity_of(&copy), "the sensitivity chart", 60);
    let note = browser.eval("document.querySelector('#test-status').textContent");
    assert!(
        note.as_str().unwrap().contains("uploaded as a file"),
        "{note}"
    );
    // Back to the network for the screenshot.
    browser.eval(&format!("loadModels('{model_id}')"));
    browser.wait_for(
        &format!("document.querySelector('#parity-chart').dataset.model === '{model_id}'"),
        "the network's plots again",
        30,
    );
    browser.wait_for(&sensitivity_of(&model_id), "the sensitivity chart", 60);

    // No script error and no refused resource on the way.
    let problems: Vec<&Value> = browser
        .events
        .iter()
        .filter(|e| {
            e["method"] == "Runtime.exceptionThrown"
                || (e["method"] == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");

    // The screenshot of the whole page.
    let layout = browser.call("Page.getLayoutMetrics", json!({}));
    let height = layout["cssContentSize"]["height"]
        .as_f64()
        .unwrap_or(1200.0)
        .ceil();
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 900, "height": height, "deviceScaleFactor": 1, "mobile": false}),
    );
    let shot = browser.call("Page.captureScreenshot", json!({"format": "png"}));
    let png = decode_base64(shot["data"].as_str().unwrap());
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let path = std::env::var_os("FIVEDREG_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-page.png"));
    std::fs::write(&path, &png).unwrap();
    let _ = writeln!(
        std::io::stderr(),
        "screenshot of the page: {}",
        path.display()
    );

    drop(browser);
    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
}
