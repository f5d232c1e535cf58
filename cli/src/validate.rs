//! `cellsim validate`: scenarios (kind Scenario) or Kubernetes manifests.

use crate::fs_sources::FsSources;
use cellsim_core::scenario::Sources;
use clap::Args;

#[derive(Args)]
pub struct ValidateArgs {
    /// Scenario files or Kubernetes manifests.
    #[arg(required = true)]
    files: Vec<String>,
    /// List the fields and kinds the model ignores.
    #[arg(long, short)]
    verbose: bool,
}

fn is_scenario(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start().starts_with("apiVersion:") && l.contains("cellsim.dev/"))
}

pub fn validate(a: ValidateArgs) -> anyhow::Result<u8> {
    let mut code = 0;
    for f in &a.files {
        let text = FsSources.read(f).unwrap_or_default();
        let result = if is_scenario(&text) {
            cellsim_core::scenario::load(f, &FsSources).map(|s| {
                (
                    format!(
                        "scenario {:?}: {} nodes, {} objects, {} timeline actions, {} expectations",
                        s.name,
                        s.nodes.len(),
                        s.objects.len(),
                        s.timeline.len(),
                        s.expect.len()
                    ),
                    s.ignored,
                )
            })
        } else {
            cellsim_core::scenario::load_manifest(f, &FsSources)
                .map(|(objs, ignored)| (format!("{} objects", objs.len()), ignored))
        };
        match result {
            Ok((what, ignored)) => {
                crate::out::outln!("{f}: ok ({what})")?;
                if a.verbose {
                    for (i, m) in ignored {
                        crate::out::outln!(
                            "  ignored: {i} (line {}, column {})",
                            m.line,
                            m.column
                        )?;
                    }
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                code = 2;
            }
        }
    }
    Ok(code)
}
