//! The policy packs a process decides with: the ones shipped in the binary,
//! plus the operator's overrides from a directory (`ARREARS_POLICY_DIR`,
//! `policy_dir` in the config file, `--policy-dir` for `arrears dev`).
//!
//! Every `*.toml` file in the directory is a whole pack: one with the id of a
//! shipped pack replaces it (e.g. a legal team's reading of an UNVERIFIED
//! parameter, with a version bump and a changelog entry), one with a new id
//! is added. Loaded and validated once at start; a bad file stops the process
//! with the file, line and key at fault, so no service runs on a policy the
//! operator did not mean.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use arrears_policy::PackSet;

/// The shipped packs with the overrides of `dir` (if any) applied.
pub fn load(dir: Option<&Path>) -> anyhow::Result<Arc<PackSet>> {
    let Some(dir) = dir else {
        return Ok(Arc::new(
            PackSet::embedded().context("loading the shipped policy packs")?,
        ));
    };
    let mut files: Vec<(String, String)> = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the policy directory {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading the policy directory {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            files.push((path.display().to_string(), text));
        }
    }
    // A fixed order, so two files with one id fail the same way every time.
    files.sort();
    let overrides: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let packs = PackSet::embedded_with_overrides(&overrides)?;
    for (name, _) in &files {
        tracing::info!(file = %name, "policy pack override loaded");
    }
    Ok(Arc::new(packs))
}
