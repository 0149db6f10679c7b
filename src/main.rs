use clap::Parser;
use tracing_subscriber::EnvFilter;

use cme::cli::{Cli, LogFormat};

fn main() {
    // Like other Unix tools, end quietly when the reader of stdout goes away
    // (`cme publish | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    init_logging(&cli);
    let log_format = cli.log_format;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error (internal): cannot start the async runtime: {e}");
            std::process::exit(cme::error::exit_code::INTERNAL);
        }
    };
    if let Err(error) = runtime.block_on(cme::cli::dispatch(cli)) {
        if matches!(log_format, LogFormat::Json) {
            tracing::error!(
                class = error.class(),
                exit_code = error.exit_code(),
                "{error}"
            );
        }
        eprintln!("error ({}): {error}", error.class());
        std::process::exit(error.exit_code());
    }
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    // Our own crate at the chosen level, dependencies only when they warn.
    let filter = EnvFilter::try_from_env("CME_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,cme={level}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    match cli.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
