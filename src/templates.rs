//! The one way templates are loaded: the shipped text compiled into the binary, each replaced
//! by the deployment's file of the same name where it exists. An override that does not
//! compile stops the start (or the report), never a clerk's page or a letter half-sent.

use std::path::Path;

/// Adds every shipped template to `env`, each replaced by `dir/<name><suffix>` where that file
/// exists (`dir` = `None`: the shipped ones only).
pub fn load_into(env: &mut minijinja::Environment<'static>, shipped: &[(&'static str, &'static str)], dir: Option<&Path>, suffix: &str) -> Result<(), String> {
    for (name, text) in shipped {
        let path = dir.map(|d| d.join(format!("{name}{suffix}")));
        match path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) {
            Some(own) => env.add_template_owned(name.to_string(), own).map_err(|e| format!("{}: {e}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_default()))?,
            None => env.add_template(name, text).map_err(|e| format!("shipped template {name}: {e}"))?,
        }
    }
    Ok(())
}
