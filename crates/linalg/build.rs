//! Enables the AVX-512 kernels (`cfg(fivedreg_avx512)`) when the compiler can build them:
//! `#[target_feature(enable = "avx512f")]` is stable from Rust 1.89, and the crate's
//! minimum supported Rust is older.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(fivedreg_avx512)");
    println!("cargo:rerun-if-env-changed=RUSTC");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let minor = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| {
            // "rustc 1.95.0 (...)"
            let version = v.split_whitespace().nth(1)?.to_owned();
            let mut parts = version.split('.');
            let major: u32 = parts.next()?.parse().ok()?;
            let minor: u32 = parts.next()?.parse().ok()?;
            Some(if major > 1 { u32::MAX } else { minor })
        });
    if minor.is_some_and(|m| m >= 89) {
        println!("cargo:rustc-cfg=fivedreg_avx512");
    }
}
