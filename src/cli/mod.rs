//! The operator's command line: what `terraform-provider-kubeadm` does when
//! it is run by hand rather than started by Terraform. `main` only picks the
//! command; each lives here.
//!
//! This is the outermost layer: it may use `bootstrap`, `provider` and
//! `tfplugin`, and none of them uses it.

use std::process::ExitCode;

use crate::provider::{KubeadmProvider, ADDRESS};
use crate::tfplugin::serve;

pub mod artifacts;
pub mod docs;
mod flags;

/// The usage of the binary.
pub const USAGE: &str = "usage: terraform-provider-kubeadm [--debug | docs [--check] [DIR] | artifacts ... | --version]

Started by Terraform, this binary serves the kubeadm provider over the plugin
protocol. By hand:
  --debug           serve without Terraform's handshake and print a
                    TF_REATTACH_PROVIDERS value to attach Terraform to it
  docs [--check]    write (or check) the registry docs under DIR/docs
                    (DIR defaults to the current directory)
  artifacts build | mirror | upload
                    make and publish the version manifest that
                    kubernetes_artifacts { source = \"manifest\" } reads
                    (terraform-provider-kubeadm artifacts --help)
  --version         print the version";

/// `--version`: prints the version.
pub fn version() -> ExitCode {
    println!("terraform-provider-kubeadm {}", env!("CARGO_PKG_VERSION"));
    ExitCode::SUCCESS
}

/// `--help`: prints the usage.
pub fn help() -> ExitCode {
    println!("{USAGE}");
    ExitCode::SUCCESS
}

/// An argument no command has (exit 2, with the usage).
pub fn unknown(arg: &str) -> ExitCode {
    eprintln!("unknown argument {arg:?}\n\n{USAGE}");
    ExitCode::from(2)
}

/// No argument: serves the provider to the Terraform that started it.
pub fn serve_plugin() -> ExitCode {
    run(|rt| rt.block_on(serve::serve_plugin(KubeadmProvider::default(), serve::Environment::from_process())))
}

/// `--debug`: serves without Terraform's handshake.
pub fn serve_debug() -> ExitCode {
    run(|rt| rt.block_on(serve::serve_debug(KubeadmProvider::default(), ADDRESS)))
}

fn run(f: impl FnOnce(&tokio::runtime::Runtime) -> Result<(), serve::StartError>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-kubeadm: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let res = f(&rt);
    // Do not wait for lingering connection tasks.
    rt.shutdown_background();
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-kubeadm: {e}");
            ExitCode::FAILURE
        }
    }
}
