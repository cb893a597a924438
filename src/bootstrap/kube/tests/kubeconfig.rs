use super::*;

#[test]
fn kubeconfig_token_and_context() {
    let text = kubeconfig("    token: abc.def");
    let r = resolve(&inline(&text), None).unwrap();
    assert_eq!(r.connection.server, "https://10.0.0.1:6443");
    assert!(r.connection.insecure);
    assert_eq!(r.connection.token.as_ref().unwrap().expose(), "abc.def");
    assert!(r.warnings.iter().any(|w| w.contains("insecure-skip-tls-verify")), "{:?}", r.warnings);
    let mut s = inline(&text);
    s.context = Some("other".into());
    let r = resolve(&s, None).unwrap();
    assert_eq!(r.connection.server, "https://10.0.0.2:6443");
    assert!(!r.connection.insecure && r.warnings.is_empty());
    // Direct settings override.
    s.host = Some("https://override.example:443".into());
    s.token = Some(Sensitive::new("direct\n".into()));
    let r = resolve(&s, None).unwrap();
    assert_eq!(r.connection.server, "https://override.example:443");
    assert_eq!(r.connection.token.as_ref().unwrap().expose(), "direct");
}

#[test]
fn kubeconfig_files_resolve_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _, _, _) = pair("ca");
    let (cert, key, _, _) = pair("client");
    std::fs::create_dir(dir.path().join("pki")).unwrap();
    std::fs::write(dir.path().join("pki/ca.crt"), &ca).unwrap();
    std::fs::write(dir.path().join("pki/client.crt"), &cert).unwrap();
    std::fs::write(dir.path().join("token"), "tok-from-file\n").unwrap();
    let text = format!(
            "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://k:6443\n    certificate-authority: pki/ca.crt\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    client-certificate: pki/client.crt\n    client-key-data: {}\n    tokenFile: token\n",
            B64.encode(&key)
        );
    std::fs::write(dir.path().join("config"), &text).unwrap();
    let s = Settings { kubeconfig_path: Some("~/config".into()), ..Default::default() };
    let r = resolve(&s, Some(dir.path())).unwrap();
    let c = &r.connection;
    assert_eq!(c.ca.as_ref().map(Vec::len), Some(1));
    assert!(c.client_cert.is_some());
    assert_eq!(c.token.as_ref().unwrap().expose(), "tok-from-file");
    assert!(r.warnings.is_empty());
    // A key of another certificate is refused, naming the setting.
    let (_, other_key, _, _) = pair("other");
    let bad = text.replace(&B64.encode(&key), &B64.encode(&other_key));
    std::fs::write(dir.path().join("config"), &bad).unwrap();
    let e = resolve(&s, Some(dir.path())).unwrap_err();
    assert_eq!(e.setting_name(), Some("kubeconfig_path"));
    assert!(e.to_string().contains("does not belong"), "{e}");
    assert!(!e.to_string().contains("PRIVATE"), "{e}");
}

#[test]
fn basic_auth_and_data_fields() {
    let (ca, _, _, _) = pair("ca");
    let text = format!(
            "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://k\n    certificate-authority-data: {}\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    username: admin\n    password: s3cret\n",
            B64.encode(&ca)
        );
    let r = resolve(&inline(&text), None).unwrap();
    assert!(r.connection.basic.is_some());
    let client = Client::new(&r.connection).unwrap();
    let auth = client.authorization.as_ref().unwrap().expose();
    assert_eq!(auth, &format!("Basic {}", B64.encode("admin:s3cret")));
    assert!(!format!("{:?}", r.connection).contains("s3cret"));
}

#[test]
fn plugins_are_refused_unless_allowed_or_overridden() {
    let text = kubeconfig("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /usr/local/bin/aws\n      args: [eks, get-token]\n      interactiveMode: Never");
    let e = err_of(&inline(&text));
    assert_eq!(e.setting_name(), Some("kubeconfig"));
    assert_eq!(e.summary(), "Kubeconfig exec plugin not allowed");
    assert!(e.to_string().contains("the exec plugin \"/usr/local/bin/aws\""), "{e}");
    assert!(e.to_string().contains("set allow_exec_plugins = true"), "{e}");
    assert!(e.to_string().contains("token"), "{e}");
    // A direct credential overrides the kubeconfig's user: no plugin needed.
    let mut s = inline(&text);
    s.token = Some(Sensitive::new("from-terraform".into()));
    let r = resolve(&s, None).unwrap();
    assert!(r.connection.exec.is_none());
    // Allowed: parsed, not run.
    let mut s = inline(&text);
    s.allow_exec_plugins = true;
    let r = resolve(&s, None).unwrap();
    let plugin = r.connection.exec_plugin().expect("an exec plugin");
    assert_eq!(plugin.command(), "/usr/local/bin/aws");
    assert_eq!(plugin.args, ["eks", "get-token"]);
    assert!(r.connection.has_credentials());
    // Auth-provider plugins stay refused, allowed or not.
    let text = kubeconfig("    auth-provider:\n      name: gcp");
    let mut s = inline(&text);
    s.allow_exec_plugins = true;
    let e = err_of(&s);
    assert_eq!(e.summary(), "Kubeconfig credential plugins are not supported");
    assert!(e.to_string().contains("auth-provider plugin \"gcp\""), "{e}");
}

#[test]
fn setting_errors_name_the_setting() {
    let cases: Vec<(Settings, &str, &str)> = vec![
        (Settings::default(), "kubeconfig_path", "no connection settings"),
        (Settings { token: Some(Sensitive::new("t".into())), ..Default::default() }, "host", "host is not set"),
        (Settings { host: Some("ftp://x".into()), ..Default::default() }, "host", "not an https:// URL"),
        (Settings { host: Some("https://u:p@x".into()), ..Default::default() }, "host", "must not carry credentials"),
        (
            Settings {
                host: Some("https://x".into()),
                cluster_ca_certificate: Some("junk".into()),
                ..Default::default()
            },
            "cluster_ca_certificate",
            "holds no PEM certificate",
        ),
        (
            Settings { host: Some("https://x".into()), client_certificate: Some(pair("c").0), ..Default::default() },
            "client_key",
            "without a private key",
        ),
        (
            Settings {
                host: Some("https://x".into()),
                client_key: Some(Sensitive::new(pair("c").1)),
                ..Default::default()
            },
            "client_certificate",
            "without a client certificate",
        ),
        (
            Settings {
                host: Some("https://x".into()),
                client_certificate: Some(pair("c").0),
                client_key: Some(Sensitive::new(
                    "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n".into(),
                )),
                ..Default::default()
            },
            "client_key",
            "is not a PEM private key",
        ),
        (
            Settings {
                host: Some("https://x".into()),
                token: Some(Sensitive::new("a\nb".into())),
                ..Default::default()
            },
            "token",
            "HTTP header",
        ),
        (
            Settings { host: Some("https://x".into()), context: Some("c".into()), ..Default::default() },
            "context",
            "context",
        ),
        (
            Settings {
                kubeconfig_path: Some("/nonexistent/kubeconfig".into()),
                kubeconfig: Some(Sensitive::new(String::new())),
                ..Default::default()
            },
            "kubeconfig",
            "both set",
        ),
        (
            Settings { kubeconfig_path: Some("/nonexistent/kubeconfig".into()), ..Default::default() },
            "kubeconfig_path",
            "/nonexistent/kubeconfig",
        ),
        (inline("clusters: 5"), "kubeconfig", "not a valid kubeconfig"),
        (
            inline(&kubeconfig("    token: t").replace("current-context: admin@prod", "")),
            "context",
            "no current-context",
        ),
        (
            {
                let mut s = inline(&kubeconfig("    token: t"));
                s.context = Some("missing".into());
                s
            },
            "context",
            "no context \"missing\" (it has: \"admin@prod\", \"other\")",
        ),
        (
            inline(&kubeconfig("    token: t").replace("user: admin}", "user: ghost}")),
            "kubeconfig",
            "names user \"ghost\"",
        ),
        (inline(&kubeconfig("    client-key-data: '%%%'")), "kubeconfig", "not valid base64"),
    ];
    for (s, setting, text) in cases {
        let e = err_of(&s);
        assert_eq!(e.setting_name(), Some(setting), "{e}");
        assert!(e.to_string().contains(text), "{e} lacks {text:?}");
    }
}

#[test]
fn forbidden_names_the_missing_rule() {
    let forbidden = |verb, resource: &str, namespace: Option<&str>| KubeError::Forbidden {
        host: "https://k".into(),
        verb,
        resource: resource.into(),
        namespace: namespace.map(str::to_string),
        message: "no".into(),
    };
    let e = forbidden("get", "kubeadmconfigs.bootstrap.cluster.x-k8s.io", Some("prod"));
    assert_eq!(
            e.to_string(),
            "the API server at https://k does not allow get on kubeadmconfigs.bootstrap.cluster.x-k8s.io in namespace prod: no"
        );
    let hint = e.hint();
    assert!(hint.starts_with("Grant the identity get on kubeadmconfigs (API group bootstrap.cluster.x-k8s.io) in namespace prod: a Role bound to it with a RoleBinding, with the rule apiGroups: [\"bootstrap.cluster.x-k8s.io\"], resources: [\"kubeadmconfigs\"], verbs: [\"get\"]. In all, the data source needs get and list on clusters"), "{hint}");
    let hint = forbidden("list", "secrets", Some("prod")).hint();
    assert!(
        hint.contains("list on secrets (the core API group) in namespace prod") && hint.contains("apiGroups: [\"\"]"),
        "{hint}"
    );
    let hint = forbidden("get", "/apis/cluster.x-k8s.io", None).hint();
    assert!(hint.starts_with("Grant the identity get on the non-resource URL /apis/cluster.x-k8s.io"), "{hint}");
}

#[test]
fn yaml_errors_do_not_quote_values() {
    let e = err_of(&inline("users:\n- name: u\n  user:\n    token: [secret-token-value]\n"));
    assert!(!e.to_string().contains("secret-token-value"), "{e}");
}

#[test]
fn home_expansion() {
    let h = Path::new("/home/me");
    assert_eq!(expand_home("~/.kube/config", Some(h)), PathBuf::from("/home/me/.kube/config"));
    assert_eq!(expand_home("~", Some(h)), PathBuf::from("/home/me"));
    assert_eq!(expand_home("/etc/k", Some(h)), PathBuf::from("/etc/k"));
    assert_eq!(expand_home("~other/x", Some(h)), PathBuf::from("~other/x"));
}

#[test]
fn names_are_checked() {
    assert!(check_namespace("capi-system").is_ok());
    assert!(check_namespace("Bad").is_err());
    assert!(check_namespace("a/b").is_err());
    assert!(check_cluster_name("prod.eu-1").is_ok());
    assert!(check_cluster_name("prod?x=1").is_err());
    assert!(check_cluster_name("").is_err());
}
