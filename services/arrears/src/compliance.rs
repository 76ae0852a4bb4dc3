//! `arrears compliance evaluate`: the stateless policy evaluation from the
//! command line, for integrators and auditors (the same engine and packs as
//! `POST /v1/compliance/evaluate` and the ledger's gate).

use std::io::Read;

use anyhow::Context as _;

#[derive(clap::Args)]
pub struct ComplianceArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Read an evaluation request (JSON, schemas/compliance/evaluate-request.schema.json)
    /// from stdin or --file and print the decision as JSON.
    Evaluate {
        /// Read the request from this file instead of stdin.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// List the policy packs in force with their versions.
    Packs,
}

pub fn run(args: ComplianceArgs, settings: &crate::settings::Settings) -> anyhow::Result<()> {
    let packs = settings.policy()?;
    match args.action {
        Action::Evaluate { file } => {
            let text = match file {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .context("reading stdin")?;
                    s
                }
            };
            let mut de = serde_json::Deserializer::from_str(&text);
            let request: arrears_policy::EvaluationRequest =
                serde_path_to_error::deserialize(&mut de).map_err(|e| {
                    anyhow::anyhow!(
                        "invalid evaluation request at `{}`: {}",
                        e.path(),
                        e.inner()
                    )
                })?;
            let decision = arrears_policy::evaluate(&packs, &request);
            println!("{}", serde_json::to_string_pretty(&decision)?);
        }
        Action::Packs => {
            for p in packs.packs() {
                println!("{}\t{}\t{}\t{}", p.id, p.version, p.jurisdiction, p.title);
            }
        }
    }
    Ok(())
}
