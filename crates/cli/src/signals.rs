//! Interrupted runs leave no temporary file: on SIGINT, SIGTERM or SIGHUP the temporary file
//! of every output being written is removed (the file it would have replaced stays as it
//! was), then the process ends as the signal would have ended it.

/// Starts a thread that waits for those signals. Without it, a signal would end the process
/// at once and leave the temporary file of `predict -o` or `generate -o` behind.
pub fn remove_temporary_files_on_signals() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            // Without the handler a signal still ends the run; only the cleanup is lost.
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                fivedreg::AtomicFile::discard_uncommitted_then(|| {
                    // Ends the process by the signal itself (so the shell sees it), or, if
                    // that fails, with the shell's code for it.
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal)
                });
            }
        });
    }
}
