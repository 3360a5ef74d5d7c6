//! Loading the policy folder. A bad file stops the start: running with a
//! policy silently missing would issue or validate licenses wrongly.

use std::path::Path;

use crate::domain::policy::{Policy, PolicyError, PolicySet};

/// Reads every `*.toml` in `dir`. Returns all file errors, not just the first,
/// so one `latchkey policy check` run shows everything to fix.
pub fn load_dir(dir: &Path) -> Result<PolicySet, Vec<PolicyError>> {
    let folder_error = |message: String| vec![PolicyError { file: dir.display().to_string(), line: None, message }];
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(folder = %dir.display(), "no policy folder; no licenses can be issued until it exists");
            return Ok(PolicySet::default());
        }
        Err(e) => return Err(folder_error(format!("cannot read the policy folder: {e}"))),
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => match Policy::parse(&file, &text) {
                Ok(policy) => parsed.push((file, policy)),
                Err(error) => errors.push(error),
            },
            Err(e) => errors.push(PolicyError { file, line: None, message: format!("cannot read: {e}") }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    PolicySet::from_files(parsed).map_err(|e| vec![e])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_policies_load() {
        let set = load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/policies"))).unwrap();
        assert!(set.len() >= 3, "examples: node-locked, yearly subscription, floating team");
    }

    #[test]
    fn a_mistake_is_reported_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ok.toml"),
            "name = \"a\"\nproduct = \"p\"\nmax_activations = 1\nbinding = \"node_locked\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "name = \"b\"\nproduct = \"p\"\nmax_activations = \"three\"\nbinding = \"node_locked\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let errors = load_dir(dir.path()).unwrap_err();
        assert_eq!(errors.len(), 1);
        let message = errors[0].to_string();
        assert!(message.contains("bad.toml:3:"), "{message}");
    }
}
