//! `fivedreg serve`: the HTTP API and the browser page.

use crate::args::ServeArgs;
use crate::failure::Failure;

/// `fivedreg serve`: runs until Ctrl-C or SIGTERM.
pub fn run(args: &ServeArgs) -> Result<(), Failure> {
    let config = fivedreg_server::ServeConfig {
        listen: args.listen,
        data_dir: args.data_dir.clone(),
        max_upload_bytes: args.max_upload_mb.saturating_mul(1 << 20),
        jobs: args.jobs,
        token: args.token.clone(),
        memory_limit: args
            .memory_limit
            .unwrap_or_else(fivedreg_server::default_memory_limit),
        allowed_hosts: args.allowed_hosts.clone(),
        max_connections: args.max_connections,
        max_uploads: args.max_uploads,
        max_queue: args.max_queue,
        header_timeout: std::time::Duration::from_secs(args.header_timeout),
        body_timeout: std::time::Duration::from_secs(args.body_timeout),
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        min_body_rate: args.min_body_rate,
    };
    fivedreg_server::init_logging();
    fivedreg_server::run(config).map_err(|e| match e {
        fivedreg_server::ServerError::Config(message) => Failure::usage(message),
        other => Failure::other(other.to_string()),
    })
}
