//! `terraform-provider-kubeadm artifacts build | mirror | upload`: reads the
//! command line and reports; [`tool`] does the work.

use std::process::ExitCode;

use super::flags::Flags;
use crate::bootstrap::node::KubernetesVersion;
use crate::bootstrap::store::s3::{S3Settings, Sse};

pub mod tool;

/// The usage of `artifacts`.
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

/// A command line that cannot be read (exit 2, with the usage) or a failure
/// (exit 1, with what to do).
enum CommandError {
    Usage(String),
    Failed(String),
}

impl From<tool::ToolError> for CommandError {
    fn from(e: tool::ToolError) -> CommandError {
        CommandError::Failed(e.to_string())
    }
}

/// Runs `artifacts` with the arguments after it: exit 0 when done, 1 on a
/// failure, 2 on a command line that cannot be read.
pub fn command(args: &[String]) -> ExitCode {
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
        Some(list) => Ok(tool::parse_names(list)?),
        None => Ok(tool::DEFAULT_NAMES.iter().map(|s| s.to_string()).collect()),
    }
}

fn report(built: &tool::Built) {
    println!("wrote {} for Kubernetes {}:", built.path.display(), built.manifest.kubernetes_version);
    for (f, size) in built.manifest.files.iter().zip(&built.sizes) {
        let kind = if f.archive { " (archive)" } else { "" };
        println!("  {}{kind}: {} ({} bytes, sha512 {}…)", f.name, f.url, size, f.sha512.get(..16).unwrap_or(&f.sha512));
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
    let built = tool::build(&tool::BuildOptions {
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
    let opts = tool::MirrorOptions {
        version,
        from: from.to_string(),
        names: names(&flags)?,
        extra,
        dir: dir.into(),
        arch: flags.get("arch").unwrap_or("amd64").to_string(),
        url_template: flags.get("url-template").unwrap_or(tool::DEFAULT_URL_TEMPLATE).to_string(),
        require_checksums: flags.has("require-checksums"),
        base_url: flags.get("base-url").map(str::to_string),
        out: flags.get("out").map(Into::into),
    };
    let built = tool::mirror(&opts, &mut |line: &str| println!("{line}"))?;
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
    let target = tool::Target::parse(to, settings)?;
    let opts = tool::UploadOptions { dir: dir.into(), manifest: flags.get("manifest").map(Into::into), target };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Failed(format!("cannot start the async runtime: {e}")))?;
    let uploaded = rt.block_on(tool::upload(&opts, &mut |line: &str| println!("{line}")));
    rt.shutdown_background();
    let uploaded = uploaded?;
    println!("uploaded {} objects; use:", uploaded.keys.len());
    println!("  kubernetes_artifacts {{");
    println!("    source       = \"manifest\"");
    println!("    manifest_url = \"{}\"", uploaded.manifest_url);
    println!("  }}");
    Ok(())
}
