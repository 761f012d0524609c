//! `cargo xtask onnx-proto`: regenerates `crates/onnx/src/proto/onnx.rs` from the vendored
//! `crates/onnx/proto/onnx.proto`, in pure Rust (protox parses the schema, prost-build writes
//! the types), so that neither this step nor a normal build needs `protoc`. The generated
//! file is committed: run this only when the vendored schema changes.
//!
//! The generator is behind xtask's `onnx-proto` feature, so that the usual `cargo xtask …`
//! builds (CI's included) never compile it:
//! `cargo run -p xtask --release --features onnx-proto -- onnx-proto`.

use anyhow::Result;
use std::path::Path;

/// Regenerates the ONNX protobuf types (see the module documentation).
#[cfg(feature = "onnx-proto")]
pub fn onnx_proto(repo: &Path) -> Result<()> {
    use anyhow::Context;
    let proto_dir = repo.join("crates/onnx/proto");
    let out_dir = repo.join("crates/onnx/src/proto");
    let descriptors = protox::compile(["onnx.proto"], [&proto_dir])
        .context("parsing crates/onnx/proto/onnx.proto")?;
    std::fs::create_dir_all(&out_dir).context("creating crates/onnx/src/proto")?;
    prost_build::Config::new()
        .out_dir(&out_dir)
        .compile_fds(descriptors)
        .context("generating the Rust types")?;
    eprintln!("[onnx-proto] wrote {}", out_dir.join("onnx.rs").display());
    Ok(())
}

/// Without the `onnx-proto` feature: says how to run the generator.
#[cfg(not(feature = "onnx-proto"))]
pub fn onnx_proto(_repo: &Path) -> Result<()> {
    anyhow::bail!(
        "the generator is built only with xtask's onnx-proto feature: \
         cargo run -p xtask --release --features onnx-proto -- onnx-proto"
    )
}
