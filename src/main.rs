//! The `heatscope` command line: parses arguments, runs one command, and
//! turns any error into one line on stderr and an exit code.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = match cli::Args::try_parse() {
        Ok(args) => args,
        Err(error) => return usage_error(error),
    };
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

/// Help and version as clap writes them; a mistake in the arguments as one
/// line (clap's first line and its tip), exit code 2.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        // `heatscope` alone: the help, as a usage error.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    let text = error.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines.next().unwrap_or("error: bad arguments").to_owned();
    // "the following required arguments were not provided:" lists them below.
    if first.ends_with(':') {
        let missing: Vec<&str> = lines.take_while(|l| l.starts_with('<') || l.starts_with("--")).collect();
        first = format!("{first} {}", missing.join(", "));
    }
    let find = |prefix: &str| text.lines().map(str::trim).find(|l| l.starts_with(prefix));
    let choices = find("[possible values:").map_or(String::new(), |c| format!(" {c}"));
    let tip = find("tip:").map_or(String::new(), |t| format!(" ({t})"));
    let usage = find("Usage:").map_or(String::new(), |u| format!("; u{}", &u[1..]));
    eprintln!("{first}{choices}{tip}{usage}; --help for more");
    ExitCode::from(2)
}
