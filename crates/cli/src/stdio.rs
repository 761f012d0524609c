//! Standard streams that were closed when the command started (`fivedreg … >&-`).
//!
//! Rust's runtime puts `/dev/null` (opened read-write) in place of a closed standard
//! stream before `main` runs, so that no file the program opens takes its number; what is
//! printed then vanishes and the command would exit 0 having printed nothing. On Linux that
//! `/dev/null` is recognised here, and printing to it is refused as an error. (A user's own
//! `> /dev/null` is opened write-only by the shell and stays a normal destination.)

/// Whether standard input was closed when the command started.
pub fn stdin_closed() -> bool {
    closed_at_start(0)
}

/// Whether standard output was closed when the command started.
pub fn stdout_closed() -> bool {
    closed_at_start(1)
}

/// Whether descriptor `fd` is the read-write `/dev/null` of the runtime's start-up.
#[cfg(target_os = "linux")]
fn closed_at_start(fd: u32) -> bool {
    let Ok(target) = std::fs::read_link(format!("/proc/self/fd/{fd}")) else {
        return false;
    };
    if target != std::path::Path::new("/dev/null") {
        return false;
    }
    let Ok(info) = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")) else {
        return false;
    };
    // The access mode (O_ACCMODE) of the octal `flags:` line: 2 is O_RDWR.
    info.lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .and_then(|flags| u32::from_str_radix(flags.trim(), 8).ok())
        .is_some_and(|flags| flags & 0o3 == 0o2)
}

/// Elsewhere a closed stream cannot be told from `/dev/null`.
#[cfg(not(target_os = "linux"))]
fn closed_at_start(_fd: u32) -> bool {
    false
}
