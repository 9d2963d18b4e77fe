//! `heatscope info`: what a matrix file holds.

use heatscope::app::info::info;

use super::InputArgs;

#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    // The JSON leaves the saved trees out (and so does not read them).
    let info = info(&args.input.spec(), !args.json)?;
    if args.json {
        return super::print_stdout(&format!("{}\n", serde_json::to_string(&info)?));
    }
    super::print_stdout(&info.to_string())
}
