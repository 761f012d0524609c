//! What the numbers were measured on: CPU, cores, build, compiler, git commit, date.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;

/// The machine, build and source tree a benchmark run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MachineInfo {
    /// CPU model name from /proc/cpuinfo.
    pub cpu_model: String,
    /// Logical CPUs available to this process.
    pub logical_cpus: usize,
    /// Total memory from /proc/meminfo, in GiB.
    pub memory_gib: f64,
    /// Operating system and architecture.
    pub os: String,
    /// Cargo profile the xtask binary was built with (the benchmarked crates share it).
    pub build_profile: String,
    /// Optimisation level of that build.
    pub opt_level: String,
    /// `rustc --version` of the compiler that built it.
    pub rustc_version: String,
    /// Target triple.
    pub target: String,
    /// `git rev-parse HEAD` of the tree.
    pub git_commit: String,
    /// Whether the tree had uncommitted changes (`git status --porcelain` non-empty).
    pub git_dirty: bool,
    /// Start of the run, UTC, ISO 8601.
    pub date_utc: String,
    /// Load average (1 minute) at the start of the run, from /proc/loadavg.
    pub load_average_at_start: f64,
}

impl MachineInfo {
    /// Collects the facts; anything unreadable is reported as `unknown`.
    pub fn collect(repo: &Path) -> MachineInfo {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split_once(':'))
            .map(|(_, name)| name.trim().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        let logical_cpus = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1);
        let memory_gib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|line| line.starts_with("MemTotal:"))
                    .and_then(|line| line.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse::<f64>().ok())
            })
            .map(|kib| kib / (1024.0 * 1024.0))
            .unwrap_or(0.0);
        let git = |args: &[&str]| -> Option<String> {
            let out = Command::new("git")
                .args(args)
                .current_dir(repo)
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        };
        let git_commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
        let git_dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
        MachineInfo {
            cpu_model,
            logical_cpus,
            memory_gib,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            build_profile: env!("XTASK_BUILD_PROFILE").to_string(),
            opt_level: env!("XTASK_BUILD_OPT_LEVEL").to_string(),
            rustc_version: env!("XTASK_RUSTC_VERSION").to_string(),
            target: env!("XTASK_BUILD_TARGET").to_string(),
            git_commit,
            git_dirty,
            date_utc: utc_now_iso8601(),
            load_average_at_start: load_average(),
        }
    }
}

/// The 1-minute load average, from /proc/loadavg (NaN where it cannot be read).
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The current time, UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now_iso8601() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    iso8601_from_unix(secs)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian).
pub fn iso8601_from_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// Peak resident set size of this process so far (VmHWM), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    status_field_kib("VmHWM:")
}

/// Current resident set size of this process (VmRSS), in KiB.
#[cfg(test)]
pub fn current_rss_kib() -> Option<u64> {
    status_field_kib("VmRSS:")
}

fn status_field_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|line| line.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU seconds (user + system, every thread) this process has used, from /proc/self/stat.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at field 3.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux architecture this runs on.
    Some((utime + stime) / 100.0)
}

/// Resets this process's peak RSS to its current RSS (Linux `clear_refs` value 5), so VmHWM
/// then measures one phase. Returns whether the kernel accepted it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_instants() {
        assert_eq!(iso8601_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_from_unix(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn cpu_seconds_grow_with_work() {
        let before = process_cpu_seconds().unwrap();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed().as_millis() < 300 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let after = process_cpu_seconds().unwrap();
        // A busy loop of 0.3 s wall-clock uses CPU time, whatever the scheduler did.
        assert!(after > before, "before {before}, after {after}");
    }

    #[test]
    fn peak_rss_rises_when_memory_is_touched() {
        let before = current_rss_kib().unwrap();
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let peak = peak_rss_kib().unwrap();
        drop(block);
        // 64 MiB written page by page must show in the high-water mark.
        assert!(
            peak >= before + 60 * 1024,
            "before {before} KiB, peak {peak} KiB"
        );
    }
}
