use super::*;

fn v() -> KubernetesVersion {
    KubernetesVersion::parse("v1.31.4").unwrap()
}

fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (n, b) in files {
        std::fs::write(d.path().join(n), b).unwrap();
    }
    d
}

fn opts(dir: &Path) -> BuildOptions {
    BuildOptions {
        version: v(),
        dir: dir.to_path_buf(),
        names: DEFAULT_NAMES.iter().map(|s| s.to_string()).collect(),
        base_url: None,
        out: None,
    }
}

#[test]
fn builds_a_manifest_the_provider_reads() {
    let d = dir_with(&[
        ("kubeadm", b"a"),
        ("kubelet", b"b"),
        ("kubectl", b"c"),
        ("cni-plugins-linux-amd64-v1.5.1.tgz", b"d"),
        ("crictl-v1.31.1-linux-amd64.tar.gz", b"e"),
        ("kubeadm.sha256", b"x"),
        ("README", b"r"),
    ]);
    let built = build(&opts(d.path())).unwrap();
    assert_eq!(built.path, d.path().join("manifest.json"));
    assert_eq!(built.skipped, vec!["README".to_string()]);
    let text = std::fs::read_to_string(&built.path).unwrap();
    let m = Manifest::parse(text.as_bytes(), "http://h/v1.31.4/manifest.json", &v()).unwrap();
    let names: Vec<&str> = m.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["kubeadm", "kubelet", "kubectl", "cni-plugins", "crictl"]);
    assert_eq!(m.files[0].url, "kubeadm");
    assert_eq!(m.files[0].sha512, crate::bootstrap::store::sha512_hex(b"a"));
    assert!(!m.files[0].archive);
    assert!(m.files[3].archive);
    assert_eq!(m.files[3].extract_to.as_deref(), Some(CNI_BIN_DIR));
    assert_eq!(m.files[4].extract_to, None);
    assert!(!text.contains("\"archive\": false"), "{text}");

    let mut with_base = opts(d.path());
    with_base.base_url = Some("https://dl.example.com/k8s/v1.31.4/".into());
    with_base.out = Some(d.path().join("elsewhere").join("m.json"));
    let built = build(&with_base).unwrap();
    assert_eq!(built.manifest.files[1].url, "https://dl.example.com/k8s/v1.31.4/kubelet");
    // Building again gives the same bytes.
    let first = std::fs::read(&built.path).unwrap();
    build(&with_base).unwrap();
    assert_eq!(std::fs::read(&built.path).unwrap(), first);
}

#[test]
fn build_errors_say_what_to_do() {
    let d = dir_with(&[("kubeadm", b"a"), ("kubelet", b"b")]);
    let e = build(&opts(d.path())).unwrap_err().to_string();
    assert!(e.contains("has no file \"kubectl\"") && e.contains("--names"), "{e}");
    let mut o = opts(d.path());
    o.names = vec!["kubeadm".into()];
    let e = build(&o).unwrap_err().to_string();
    assert!(e.contains("\"kubelet\"") && e.contains("a node needs kubeadm and kubelet"), "{e}");
    o.names = vec!["kubeadm".into(), "kubelet".into()];
    o.out = Some(d.path().join("sub/manifest.json"));
    assert!(build(&o).unwrap_err().to_string().contains("--base-url"));
    o.out = None;
    o.base_url = Some("ftp://x".into());
    assert!(build(&o).unwrap_err().to_string().contains("https://"));
    let e = build(&opts(&d.path().join("missing"))).unwrap_err().to_string();
    assert!(e.contains("is not a directory"), "{e}");
    let empty = dir_with(&[("kubeadm", b""), ("kubelet", b"b"), ("kubectl", b"c")]);
    assert!(build(&opts(empty.path())).unwrap_err().to_string().contains("is empty"));
    let twice = dir_with(&[
        ("kubeadm", b"a"),
        ("kubelet", b"b"),
        ("kubectl", b"c"),
        ("crictl-a.tgz", b"1"),
        ("crictl-b.tgz", b"2"),
    ]);
    assert!(build(&opts(twice.path())).unwrap_err().to_string().contains("keep one"));
}

#[test]
fn templates_and_names() {
    let u = expand_template(DEFAULT_URL_TEMPLATE, "https://dl.example.com/release/", "v1.31.4", "amd64", "kubeadm")
        .unwrap();
    assert_eq!(u, "https://dl.example.com/release/v1.31.4/bin/linux/amd64/kubeadm");
    assert!(expand_template("{base}/{nme}", "b", "v", "a", "n").is_err());
    assert!(expand_template("{base}/{version}", "b", "v", "a", "n").is_err());
    assert!(expand_template("{base}/{name", "b", "v", "a", "n").is_err());
    assert_eq!(parse_names("kubeadm, kubelet,,kubeadm").unwrap(), ["kubeadm", "kubelet"]);
    assert!(parse_names("../etc/passwd").is_err());
    assert!(parse_names(" , ").is_err());
}

#[test]
fn targets() {
    let t = Target::parse("s3://bucket/k8s/v1.31.4/", S3Settings { region: Some("r".into()), ..Default::default() })
        .unwrap();
    match t {
        Target::S3(s) => {
            assert_eq!(
                (s.bucket.as_str(), s.prefix.as_str(), s.region.as_deref()),
                ("bucket", "k8s/v1.31.4/", Some("r"))
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(Target::parse("/srv/k8s", S3Settings::default()), Ok(Target::Local(_))));
    assert!(Target::parse("s3:///x", S3Settings::default()).is_err());
    assert!(Target::parse("gs://b/x", S3Settings::default()).is_err());
}

#[test]
fn mirrors_from_a_local_directory_and_checks_sums() {
    let up = tempfile::tempdir().unwrap();
    let bin = up.path().join("v1.31.4/bin/linux/amd64");
    std::fs::create_dir_all(&bin).unwrap();
    for (n, b) in [("kubeadm", b"a" as &[u8]), ("kubelet", b"b"), ("kubectl", b"c")] {
        std::fs::write(bin.join(n), b).unwrap();
    }
    std::fs::write(bin.join("kubeadm.sha256"), format!("{}  kubeadm\n", hex::encode(Sha256::digest(b"a")))).unwrap();
    std::fs::write(bin.join("kubelet.sha512"), crate::bootstrap::store::sha512_hex(b"b")).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let mut o = MirrorOptions {
        version: v(),
        from: up.path().display().to_string(),
        names: DEFAULT_NAMES.iter().map(|s| s.to_string()).collect(),
        extra: vec![],
        dir: dest.path().join("v1.31.4"),
        arch: "amd64".into(),
        url_template: DEFAULT_URL_TEMPLATE.into(),
        require_checksums: false,
        base_url: None,
        out: None,
    };
    let mut notes = Vec::new();
    let built = mirror(&o, &mut |s: &str| notes.push(s.to_string())).unwrap();
    assert_eq!(built.manifest.files.len(), 3);
    assert!(notes[0].contains("sha256 verified"), "{notes:?}");
    assert!(notes[1].contains("sha512 verified"), "{notes:?}");
    assert!(notes[2].contains("publishes no"), "{notes:?}");
    o.require_checksums = true;
    let e = mirror(&o, &mut |_: &str| {}).unwrap_err().to_string();
    assert!(e.contains("--require-checksums"), "{e}");
    o.require_checksums = false;
    std::fs::write(bin.join("kubelet.sha512"), "0".repeat(128)).unwrap();
    std::fs::remove_file(dest.path().join("v1.31.4/kubelet")).unwrap();
    let e = mirror(&o, &mut |_: &str| {}).unwrap_err();
    assert!(matches!(e, ToolError::Checksum(_)), "{e}");
    assert!(!dest.path().join("v1.31.4/kubelet").exists(), "a file failing its checksum was kept");
}
