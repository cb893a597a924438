//! The `terraform-provider-kubeadm` binary: a Terraform plugin (started by
//! Terraform), a debug server (`--debug`), and the docs generator (`docs`).

use std::process::ExitCode;

use terraform_provider_kubeadm::provider::{KubeadmProvider, ADDRESS};
use terraform_provider_kubeadm::tfplugin::{docs, log, serve};

const USAGE: &str = "usage: terraform-provider-kubeadm [--debug | docs [--check] [DIR] | --version]

Started by Terraform, this binary serves the kubeadm provider over the plugin
protocol. By hand:
  --debug           serve without Terraform's handshake and print a
                    TF_REATTACH_PROVIDERS value to attach Terraform to it
  docs [--check]    write (or check) the registry docs under DIR/docs
                    (DIR defaults to the current directory)
  --version         print the version";

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
        Some("--version" | "version") => {
            println!("terraform-provider-kubeadm {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("docs") => docs_command(&args[1..]),
        Some("--debug") => run(|rt| rt.block_on(serve::serve_debug(KubeadmProvider::default(), ADDRESS))),
        None => {
            run(|rt| rt.block_on(serve::serve_plugin(KubeadmProvider::default(), serve::Environment::from_process())))
        }
        Some(other) => {
            eprintln!("unknown argument {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
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

fn docs_command(args: &[String]) -> ExitCode {
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
