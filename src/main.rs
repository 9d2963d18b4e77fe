//! The `heatscope` command line: parses arguments, runs one command, and
//! turns any error into one line on stderr and an exit code.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    heatscope::progress::set_enabled(!args.quiet);
    heatscope::progress::install_interrupt_handler();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Each error's own line already names its cause.
            eprintln!("error: {error}");
            ExitCode::from(cli::exit_code(&error))
        }
    }
}
