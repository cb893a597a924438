//! The `terraform-provider-kubeadm` binary: a Terraform plugin (started by
//! Terraform), a debug server (`--debug`), the docs generator (`docs`), and
//! the Kubernetes artifacts tool (`artifacts build | mirror | upload`).

use std::process::ExitCode;

use terraform_provider_kubeadm::bootstrap::artifacts_tool;
use terraform_provider_kubeadm::bootstrap::node::KubernetesVersion;
use terraform_provider_kubeadm::bootstrap::store::s3::{S3Settings, Sse};
use terraform_provider_kubeadm::provider::{KubeadmProvider, ADDRESS};
use terraform_provider_kubeadm::tfplugin::{docs, log, serve};

const USAGE: &str = "usage: terraform-provider-kubeadm [--debug | docs [--check] [DIR] | artifacts ... | --version]

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

const ARTIFACTS_USAGE: &str = "usage: terraform-provider-kubeadm artifacts COMMAND [OPTIONS]

Makes the version manifest that kubernetes_artifacts { source = \"manifest\" }
reads (docs/guides/kubernetes-artifacts.md), and publishes it.

  artifacts build --version V --dir DIR [--names LIST] [--base-url URL] [--out FILE]
      Lists the binaries in DIR (--names, default kubeadm,kubelet,kubectl) and
      every .tar.gz/.tgz archive there (crictl-* unpacked into the binary
      directory, cni-plugins-* into /opt/cni/bin) with their sha512 in FILE
      (default DIR/manifest.json).
      URLs are relative to the manifest, or --base-url/<file> when given.

  artifacts mirror --version V --from URL --dir DIR [--names LIST]
                   [--file NAME=URL]... [--arch ARCH] [--url-template T]
                   [--require-checksums] [--base-url URL] [--out FILE]
      Downloads each name from --url-template (default
      '{base}/{version}/bin/linux/{arch}/{name}', the Kubernetes release
      layout; --from is {base}, an http(s) URL or a local directory; --arch
      defaults to amd64) and each --file from its own URL into DIR, checks it
      against URL.sha512 or URL.sha256 when the upstream publishes one (with
      --require-checksums, a missing checksum is an error), then builds the
      manifest as `artifacts build` does.

  artifacts upload --dir DIR --to s3://BUCKET/PREFIX/|DIRECTORY [--manifest FILE]
                   [--region R] [--endpoint URL] [--path-style] [--profile P]
                   [--sse AES256|aws:kms|none] [--kms-key-id K]
      Checks every file the manifest lists by relative URL against its sha512,
      uploads them, then the manifest, and prints the manifest_url to use.
      S3 credentials come from the AWS default chain.";

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
        Some("artifacts") => artifacts_command(&args[1..]),
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

/// Options of one `artifacts` subcommand: `--flag value`, `--flag=value` and
/// bare switches.
struct Flags {
    values: Vec<(String, String)>,
}

impl Flags {
    /// Reads `args` against the flags that take a value (`valued`), those that
    /// may repeat (`repeated`) and the switches.
    fn parse(args: &[String], valued: &[&str], repeated: &[&str], switches: &[&str]) -> Result<Flags, String> {
        let mut values: Vec<(String, String)> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}: options are written --name value"));
            };
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (flag, None),
            };
            if switches.contains(&name) {
                if inline.is_some() {
                    return Err(format!("--{name} takes no value"));
                }
                values.push((name.to_string(), String::new()));
            } else if valued.contains(&name) || repeated.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        match args.get(i) {
                            Some(v) if !v.starts_with("--") => v.clone(),
                            _ => return Err(format!("--{name} needs a value")),
                        }
                    }
                };
                if !repeated.contains(&name) && values.iter().any(|(n, _)| n == name) {
                    return Err(format!("--{name} is given twice"));
                }
                values.push((name.to_string(), value));
            } else {
                return Err(format!("unknown option --{name}"));
            }
            i += 1;
        }
        Ok(Flags { values })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.values.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn required(&self, name: &str, example: &str) -> Result<&str, String> {
        match self.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(format!("--{name} is required, e.g. --{name} {example}")),
        }
    }
}

/// A command line that cannot be read (exit 2, with the usage) or a failure
/// (exit 1, with what to do).
enum CommandError {
    Usage(String),
    Failed(String),
}

impl From<artifacts_tool::ToolError> for CommandError {
    fn from(e: artifacts_tool::ToolError) -> CommandError {
        CommandError::Failed(e.to_string())
    }
}

fn artifacts_command(args: &[String]) -> ExitCode {
    let sub = args.first().map(String::as_str);
    let rest = args.get(1..).unwrap_or(&[]);
    if rest.iter().any(|a| a == "-h" || a == "--help") || matches!(sub, Some("-h" | "--help" | "help")) {
        println!("{ARTIFACTS_USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = match sub {
        Some("build") => artifacts_build(rest),
        Some("mirror") => artifacts_mirror(rest),
        Some("upload") => artifacts_upload(rest),
        Some(other) => Err(CommandError::Usage(format!("unknown artifacts command {other:?}"))),
        None => Err(CommandError::Usage("artifacts needs a command: build, mirror or upload".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CommandError::Usage(m)) => {
            eprintln!("terraform-provider-kubeadm artifacts: {m}\n\n{ARTIFACTS_USAGE}");
            ExitCode::from(2)
        }
        Err(CommandError::Failed(m)) => {
            eprintln!("terraform-provider-kubeadm artifacts: {m}");
            ExitCode::FAILURE
        }
    }
}

fn kubernetes_version(flags: &Flags) -> Result<KubernetesVersion, CommandError> {
    let v = flags.required("version", "v1.31.4").map_err(CommandError::Usage)?;
    KubernetesVersion::parse(v).map_err(|e| CommandError::Usage(e.to_string()))
}

fn names(flags: &Flags) -> Result<Vec<String>, CommandError> {
    match flags.get("names") {
        Some(list) => Ok(artifacts_tool::parse_names(list)?),
        None => Ok(artifacts_tool::DEFAULT_NAMES.iter().map(|s| s.to_string()).collect()),
    }
}

fn report(built: &artifacts_tool::Built) {
    println!("wrote {} for Kubernetes {}:", built.path.display(), built.manifest.kubernetes_version);
    for f in &built.manifest.files {
        let kind = if f.archive { " (archive)" } else { "" };
        println!(
            "  {}{kind}: {} ({} bytes, sha512 {}…)",
            f.name,
            f.url,
            f.size,
            f.sha512.get(..16).unwrap_or(&f.sha512)
        );
    }
    for s in &built.skipped {
        println!("  skipped {s}: not a listed binary or a .tar.gz/.tgz archive");
    }
}

fn artifacts_build(args: &[String]) -> Result<(), CommandError> {
    let flags =
        Flags::parse(args, &["version", "dir", "names", "base-url", "out"], &[], &[]).map_err(CommandError::Usage)?;
    let version = kubernetes_version(&flags)?;
    let dir = flags.required("dir", "./k8s/v1.31.4").map_err(CommandError::Usage)?;
    let built = artifacts_tool::build(&artifacts_tool::BuildOptions {
        version,
        dir: dir.into(),
        names: names(&flags)?,
        base_url: flags.get("base-url").map(str::to_string),
        out: flags.get("out").map(Into::into),
    })?;
    report(&built);
    Ok(())
}

fn artifacts_mirror(args: &[String]) -> Result<(), CommandError> {
    let flags = Flags::parse(
        args,
        &["version", "from", "dir", "names", "arch", "url-template", "base-url", "out"],
        &["file"],
        &["require-checksums"],
    )
    .map_err(CommandError::Usage)?;
    let version = kubernetes_version(&flags)?;
    let from = flags.required("from", "https://dl.k8s.io/release").map_err(CommandError::Usage)?;
    let dir = flags.required("dir", "./k8s/v1.31.4").map_err(CommandError::Usage)?;
    let mut extra = Vec::new();
    for f in flags.all("file") {
        match f.split_once('=') {
            Some((name, url)) if !name.is_empty() && !url.is_empty() => extra.push((name.to_string(), url.to_string())),
            _ => {
                return Err(CommandError::Usage(format!(
                    "--file {f:?} is not NAME=URL, e.g. --file crictl-v1.31.1-linux-amd64.tar.gz=https://…/crictl-v1.31.1-linux-amd64.tar.gz"
                )))
            }
        }
    }
    let opts = artifacts_tool::MirrorOptions {
        version,
        from: from.to_string(),
        names: names(&flags)?,
        extra,
        dir: dir.into(),
        arch: flags.get("arch").unwrap_or("amd64").to_string(),
        url_template: flags.get("url-template").unwrap_or(artifacts_tool::DEFAULT_URL_TEMPLATE).to_string(),
        require_checksums: flags.has("require-checksums"),
        base_url: flags.get("base-url").map(str::to_string),
        out: flags.get("out").map(Into::into),
    };
    let built = artifacts_tool::mirror(&opts, &mut |line: &str| println!("{line}"))?;
    report(&built);
    Ok(())
}

fn artifacts_upload(args: &[String]) -> Result<(), CommandError> {
    let flags = Flags::parse(
        args,
        &["dir", "to", "manifest", "region", "endpoint", "profile", "sse", "kms-key-id"],
        &[],
        &["path-style"],
    )
    .map_err(CommandError::Usage)?;
    let dir = flags.required("dir", "./k8s/v1.31.4").map_err(CommandError::Usage)?;
    let to = flags.required("to", "s3://bucket/k8s/v1.31.4/").map_err(CommandError::Usage)?;
    let encryption = match (flags.get("sse"), flags.get("kms-key-id")) {
        (None | Some("AES256"), None) => Sse::Aes256,
        (Some("aws:kms"), key) | (None, key @ Some(_)) => Sse::Kms { key_id: key.map(str::to_string) },
        (Some("none"), None) => Sse::None,
        (Some(s @ ("AES256" | "none")), Some(_)) => {
            return Err(CommandError::Usage(format!("--kms-key-id needs --sse aws:kms, not {s}")))
        }
        (Some(other), _) => return Err(CommandError::Usage(format!("--sse {other:?} is not AES256, aws:kms or none"))),
    };
    if let Some(e) = flags.get("endpoint") {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            return Err(CommandError::Usage(format!(
                "--endpoint {e:?} is not an http:// or https:// URL, e.g. http://127.0.0.1:9000"
            )));
        }
    }
    let settings = S3Settings {
        region: flags.get("region").map(str::to_string),
        endpoint: flags.get("endpoint").map(str::to_string),
        force_path_style: flags.has("path-style"),
        encryption,
        profile: flags.get("profile").map(str::to_string),
        ..Default::default()
    };
    let target = artifacts_tool::Target::parse(to, settings)?;
    let opts =
        artifacts_tool::UploadOptions { dir: dir.into(), manifest: flags.get("manifest").map(Into::into), target };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Failed(format!("cannot start the async runtime: {e}")))?;
    let uploaded = rt.block_on(artifacts_tool::upload(&opts, &mut |line: &str| println!("{line}")));
    rt.shutdown_background();
    let uploaded = uploaded?;
    println!("uploaded {} objects; use:", uploaded.keys.len());
    println!("  kubernetes_artifacts {{");
    println!("    source       = \"manifest\"");
    println!("    manifest_url = \"{}\"", uploaded.manifest_url);
    println!("  }}");
    Ok(())
}
