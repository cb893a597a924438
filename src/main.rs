//! The `terraform-provider-kubeadm` binary: a Terraform plugin (started by
//! Terraform), a debug server (`--debug`), the docs generator (`docs`), and
//! the Kubernetes artifacts tool (`artifacts build | mirror | upload`). The
//! commands live in `terraform_provider_kubeadm::cli`; this only picks one.

use std::process::ExitCode;

use terraform_provider_kubeadm::cli;
use terraform_provider_kubeadm::tfplugin::log;

fn main() -> ExitCode {
    log::init_from_env();
    log::set_module("provider.kubeadm");
    // A panic must not print "panic:" lines that Terraform reports as a crash
    // without context; log it as an error line instead.
    std::panic::set_hook(Box::new(|info| {
        log::error("internal error", &[("cause", &info.to_string())]);
    }));
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version" | "version") => cli::version(),
        Some("-h" | "--help" | "help") => cli::help(),
        Some("docs") => cli::docs::command(&args[1..]),
        Some("artifacts") => cli::artifacts::command(&args[1..]),
        Some("--debug") => cli::serve_debug(),
        None => cli::serve_plugin(),
        Some(other) => cli::unknown(other),
    }
}
