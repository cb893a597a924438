//! `terraform-provider-kubeadm docs [--check] [DIR]`: writes (or checks) the
//! registry docs under `DIR/docs`.

use std::process::ExitCode;

use crate::provider::KubeadmProvider;
use crate::tfplugin::docs;

/// Runs `docs` with the arguments after it.
pub fn command(args: &[String]) -> ExitCode {
    let check = args.iter().any(|a| a == "--check");
    let dir = args.iter().find(|a| !a.starts_with("--")).map_or(".", String::as_str);
    let provider = KubeadmProvider::default();
    match docs::write_or_check(&provider, std::path::Path::new(dir), check) {
        Ok(stale) if stale.is_empty() => ExitCode::SUCCESS,
        Ok(stale) => {
            eprintln!("docs are stale; regenerate with `terraform-provider-kubeadm docs`:");
            for f in stale {
                eprintln!("  {f}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("terraform-provider-kubeadm docs: {e}");
            ExitCode::FAILURE
        }
    }
}
