use super::*;

fn exec_settings(exec: &str) -> Settings {
    let mut s = inline(&kubeconfig(&format!("    exec:\n{exec}")));
    s.allow_exec_plugins = true;
    s
}

#[test]
fn exec_blocks_are_checked_like_kubectl_does() {
    let v1 = "      apiVersion: client.authentication.k8s.io/v1\n";
    let cases: Vec<(String, &str)> = vec![
        (
            "      command: aws\n      interactiveMode: Never".into(),
            "has no apiVersion: set it to client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1",
        ),
        (
            "      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: aws".into(),
            "asks for apiVersion \"client.authentication.k8s.io/v1alpha1\", which the provider does not speak",
        ),
        (format!("{v1}      interactiveMode: Never"), "has no command"),
        (
            format!("{v1}      command: aws"),
            "has no interactiveMode, which apiVersion client.authentication.k8s.io/v1 requires",
        ),
        (
            format!("{v1}      command: aws\n      interactiveMode: Always"),
            "asks for interactiveMode Always, which needs a terminal",
        ),
        (
            format!("{v1}      command: aws\n      interactiveMode: Sometimes"),
            "has interactiveMode \"Sometimes\": use Never, IfAvailable or Always",
        ),
        (
            format!(
                "{v1}      command: aws\n      interactiveMode: Never\n      env:\n      - value: secret-env-value"
            ),
            "has an env entry (1) without a name",
        ),
        (format!("{v1}      command: aws\n      interactiveMode: Never\n      args: 5"), "is not a valid exec block"),
    ];
    for (block, want) in cases {
        let e = err_of(&exec_settings(&block));
        assert_eq!(e.setting_name(), Some("kubeconfig"), "{e}");
        assert_eq!(e.summary(), "Invalid kubeconfig exec plugin", "{e}");
        assert!(e.to_string().contains("the exec plugin of user \"admin\" of the kubeconfig"), "{e}");
        assert!(e.to_string().contains(want), "{e} lacks {want:?}");
        assert!(!e.to_string().contains("secret-env-value"), "{e}");
    }
    // v1beta1 defaults interactiveMode to IfAvailable, as Kubernetes does.
    let s =
        exec_settings("      apiVersion: client.authentication.k8s.io/v1beta1\n      command: gke-gcloud-auth-plugin");
    assert!(resolve(&s, None).is_ok());
}

#[test]
fn exec_input_and_command_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _, _, _) = pair("ca");
    std::fs::write(dir.path().join("ca.crt"), &ca).unwrap();
    let write = |exec: &str| {
        let text = format!(
                "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://k:6443\n    certificate-authority: ca.crt\n    extensions:\n    - name: client.authentication.k8s.io/exec\n      extension: {{audience: prod, region: eu-west-1}}\n    - name: other\n      extension: {{x: 1}}\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    exec:\n{exec}\n"
            );
        std::fs::write(dir.path().join("config"), text).unwrap();
        let s = Settings {
            kubeconfig_path: Some(dir.path().join("config").display().to_string()),
            allow_exec_plugins: true,
            ..Default::default()
        };
        resolve(&s, None).unwrap().connection.exec.expect("an exec plugin")
    };
    let p = write("      apiVersion: client.authentication.k8s.io/v1\n      command: bin/token-plugin\n      interactiveMode: IfAvailable\n      provideClusterInfo: true\n      env:\n      - {name: PROFILE, value: prod}");
    assert_eq!(p.program, dir.path().join("bin/token-plugin"));
    assert_eq!(p.env.len(), 1);
    assert_eq!((p.env[0].0.as_str(), p.env[0].1.expose().as_str()), ("PROFILE", "prod"));
    let input: Json = serde_json::from_str(&p.input).unwrap();
    assert_eq!(
        input,
        serde_json::json!({
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "spec": {
                "interactive": false,
                "cluster": {
                    "server": "https://k:6443",
                    "certificate-authority-data": B64.encode(&ca),
                    "config": {"audience": "prod", "region": "eu-west-1"}
                }
            }
        })
    );
    // Without provideClusterInfo the input holds no cluster; a bare name stays a name (PATH).
    let q = write(
        "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [eks, get-token]",
    );
    assert_eq!(q.program, PathBuf::from("aws"));
    let input: Json = serde_json::from_str(&q.input).unwrap();
    assert_eq!(input["spec"], serde_json::json!({"interactive": false}));
    assert_eq!(input["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert_ne!(p.cache_key, q.cache_key);
    // Debug output names the command only.
    assert!(!format!("{q:?}").contains("get-token"), "{q:?}");
}

const V1: &str = "client.authentication.k8s.io/v1";

fn credential_json(status: Json) -> Vec<u8> {
    serde_json::json!({"apiVersion": V1, "kind": "ExecCredential", "status": status}).to_string().into_bytes()
}

#[test]
fn exec_credentials_are_read_like_client_go_does() {
    let c = parse_exec_credential(&credential_json(serde_json::json!({"token": "tok-123"})), V1).unwrap();
    assert_eq!(c.token.as_ref().unwrap().expose(), "tok-123");
    assert!(c.client_cert.is_none() && c.expires.is_none());
    assert!(!format!("{c:?}").contains("tok-123"));
    let (cert, key, _, _) = pair("client");
    let c = parse_exec_credential(
            &credential_json(serde_json::json!({"clientCertificateData": cert, "clientKeyData": key, "expirationTimestamp": "2030-01-02T03:04:05Z"})),
            V1,
        )
        .unwrap();
    assert!(c.token.is_none());
    assert_eq!(c.client_cert.as_ref().unwrap().0.len(), 1);
    assert_eq!(c.expires, Some(time::macros::datetime!(2030-01-02 03:04:05 UTC)));
    assert!(!c.expired(time::macros::datetime!(2030-01-02 03:04:04 UTC)));
    assert!(c.expired(time::macros::datetime!(2030-01-02 03:04:05 UTC)));

    let (_, other_key, _, _) = pair("other");
    let bad: Vec<(Vec<u8>, &str)> = vec![
            (b"".to_vec(), "printed nothing on standard output"),
            (b"token: secret-token-value".to_vec(), "something other than an ExecCredential in JSON on standard output (line 1, column 2)"),
            (b"[\"secret-token-value\"]".to_vec(), "JSON that is not an ExecCredential object"),
            (serde_json::json!({"apiVersion": V1, "kind": "Secret", "status": {"token": "secret-token-value"}}).to_string().into_bytes(), "printed a \"Secret\" instead of an ExecCredential"),
            (serde_json::json!({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": {"token": "secret-token-value"}}).to_string().into_bytes(), "answered with apiVersion \"client.authentication.k8s.io/v1beta1\", but the kubeconfig configures it with client.authentication.k8s.io/v1"),
            (serde_json::json!({"apiVersion": V1, "kind": "ExecCredential"}).to_string().into_bytes(), "without a status"),
            (credential_json(serde_json::json!({})), "holds neither a token nor clientCertificateData and clientKeyData"),
            (credential_json(serde_json::json!({"token": 12345})), "status.token is not a string"),
            (credential_json(serde_json::json!({"clientCertificateData": cert})), "only a client certificate or only a client key"),
            (credential_json(serde_json::json!({"clientCertificateData": "junk", "clientKeyData": key})), "clientCertificateData that holds no PEM certificate"),
            (credential_json(serde_json::json!({"clientCertificateData": cert, "clientKeyData": other_key})), "clientKeyData that does not belong to the client certificate"),
            (credential_json(serde_json::json!({"token": "secret-token-value\nx"})), "token that holds characters an HTTP header cannot carry"),
            (credential_json(serde_json::json!({"token": "secret-token-value", "expirationTimestamp": "tomorrow"})), "expirationTimestamp that is not an RFC 3339 time"),
        ];
    for (stdout, want) in bad {
        let e = parse_exec_credential(&stdout, V1).expect_err(want);
        assert!(e.contains(want), "{e} lacks {want:?}");
        assert!(!e.contains("secret-token-value") && !e.contains("PRIVATE"), "{e}");
    }
}

/// A plugin script in `dir`: `body` is shell run with `set -e`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A plugin for `program`, read from a kubeconfig in `dir`.
fn plugin(dir: &Path, command: &str, extra: &str) -> ExecPlugin {
    std::fs::write(
            dir.join("config"),
            format!("current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://k:6443\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: {V1}\n      command: {command}\n      interactiveMode: Never\n      provideClusterInfo: true\n{extra}\n"),
        )
        .unwrap();
    let s = Settings {
        kubeconfig_path: Some(dir.join("config").display().to_string()),
        allow_exec_plugins: true,
        ..Default::default()
    };
    resolve(&s, None).unwrap().connection.exec.expect("an exec plugin")
}

#[test]
fn exec_plugins_run_with_their_input_and_report_failures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("bin")).unwrap();
    script(
            &d.join("bin"),
            "ok",
            &format!(
                "printf '%s' \"$KUBERNETES_EXEC_INFO\" > {info}\nprintf '%s %s %s' \"$1\" \"$2\" \"$PROFILE\" > {args}\necho '{{\"apiVersion\":\"{V1}\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"tok-from-plugin\"}}}}'",
                info = d.join("info").display(),
                args = d.join("args").display()
            ),
        );
    let p = plugin(d, "bin/ok", "      args: [eks, get-token]\n      env:\n      - {name: PROFILE, value: prod}");
    let c = p.run(Duration::from_secs(20)).unwrap();
    assert_eq!(c.token.unwrap().expose(), "tok-from-plugin");
    let info: Json = serde_json::from_str(&std::fs::read_to_string(d.join("info")).unwrap()).unwrap();
    assert_eq!(info["kind"], "ExecCredential");
    assert_eq!(info["apiVersion"], V1);
    assert_eq!(info["spec"]["interactive"], false);
    assert_eq!(info["spec"]["cluster"]["server"], "https://k:6443");
    assert_eq!(std::fs::read_to_string(d.join("args")).unwrap(), "eks get-token prod");

    // A failure shows the plugin's standard error, never its standard output.
    script(d, "fails", "echo '{\"status\":{\"token\":\"tok-printed-before-failing\"}}'\necho '  token expired: run `login` first\x07  ' >&2\nexit 3");
    let e = plugin(d, "./fails", "").run(Duration::from_secs(20)).unwrap_err();
    assert_eq!(e.summary(), "Kubeconfig exec plugin failed");
    assert_eq!(e.setting_name(), Some("kubeconfig_path"));
    let text = e.to_string();
    assert!(text.contains("the exec plugin \"./fails\" of user \"u\" of the kubeconfig exited with status 3; it said:\ntoken expired: run `login` first"), "{text}");
    assert!(!text.contains("tok-printed-before-failing") && !text.contains('\x07'), "{text}");
    script(d, "silent", "exit 1");
    let e = plugin(d, "./silent", "").run(Duration::from_secs(20)).unwrap_err();
    assert!(e.to_string().contains("exited with status 1 and printed nothing on standard error"), "{e}");

    // Not found: the install hint follows.
    let hint = "      installHint: |\n        Install the plugin with: apt-get install token-helper";
    let e = plugin(d, "no-such-token-helper-3f9a", hint).run(Duration::from_secs(20)).unwrap_err();
    assert!(e.to_string().contains("cannot run: no executable \"no-such-token-helper-3f9a\" is on PATH\n\nInstall the plugin with: apt-get install token-helper"), "{e}");
    let e = plugin(d, "bin/missing", "").run(Duration::from_secs(20)).unwrap_err();
    assert!(
        e.to_string().contains(&format!("cannot run: there is no executable {}", d.join("bin/missing").display())),
        "{e}"
    );
    std::fs::write(d.join("plain"), "#!/bin/sh\n").unwrap();
    let e = plugin(d, "./plain", "").run(Duration::from_secs(20)).unwrap_err();
    assert!(e.to_string().contains("is not executable"), "{e}");

    // Bad output names what is wrong.
    script(d, "wrong-version", "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'");
    let e = plugin(d, "./wrong-version", "").run(Duration::from_secs(20)).unwrap_err();
    assert!(e.to_string().contains("answered with apiVersion \"client.authentication.k8s.io/v1beta1\""), "{e}");

    // A plugin that hangs is stopped at the limit.
    script(d, "hangs", "sleep 30");
    let started = Instant::now();
    let e = plugin(d, "./hangs", "").run(Duration::from_millis(300)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(e.to_string().contains("did not finish within 0.3s and was stopped"), "{e}");
}

#[test]
fn exec_credentials_are_kept_until_they_expire_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Prints a new token on each run (counted in a file) expiring at $EXPIRES.
    script(
            d,
            "counting",
            &format!(
                "n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 ))\necho $n > {count}\necho \"{{\\\"apiVersion\\\":\\\"{V1}\\\",\\\"kind\\\":\\\"ExecCredential\\\",\\\"status\\\":{{\\\"token\\\":\\\"tok-$n\\\"$EXPIRES}}}}\"",
                count = d.join("count").display()
            ),
        );
    let runs = || std::fs::read_to_string(d.join("count")).unwrap_or_default().trim().parse::<u32>().unwrap_or(0);
    let token = |c: &Arc<ExecCredential>| c.token.as_ref().unwrap().expose().clone();
    let limit = Duration::from_secs(20);

    // No expiry: kept until refused.
    let p = plugin(d, "./counting", "      env:\n      - {name: EXPIRES, value: ''}");
    let first = exec_credential_within(&p, None, limit).unwrap();
    let again = exec_credential_within(&p, None, limit).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!((token(&first), runs()), ("tok-1".to_string(), 1));
    let fresh = exec_credential_within(&p, Some(&first), limit).unwrap();
    assert_eq!((token(&fresh), runs()), ("tok-2".to_string(), 2));
    // A refusal of the credential already replaced runs nothing.
    let same = exec_credential_within(&p, Some(&first), limit).unwrap();
    assert!(Arc::ptr_eq(&same, &fresh));
    assert_eq!(runs(), 2);

    // Expiring in an hour: kept; expired already: run every time.
    let later = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let p = plugin(
        d,
        "./counting",
        &format!("      env:\n      - {{name: EXPIRES, value: ',\"expirationTimestamp\":\"{later}\"'}}"),
    );
    let a = exec_credential_within(&p, None, limit).unwrap();
    let b = exec_credential_within(&p, None, limit).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(runs(), 3);
    let p = plugin(
        d,
        "./counting",
        "      env:\n      - {name: EXPIRES, value: ',\"expirationTimestamp\":\"2020-01-01T00:00:00Z\"'}",
    );
    exec_credential_within(&p, None, limit).unwrap();
    exec_credential_within(&p, None, limit).unwrap();
    assert_eq!(runs(), 5);
}

#[test]
fn the_client_sends_the_plugin_credential() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (cert, key, _, _) = pair("client");
    let status = serde_json::json!({"clientCertificateData": cert, "clientKeyData": key, "token": "tok-client"});
    script(
        d,
        "both",
        &format!(
            "printf '%s\\n' '{}'",
            serde_json::json!({"apiVersion": V1, "kind": "ExecCredential", "status": status})
        ),
    );
    let p = plugin(d, "./both", "");
    let conn = Connection {
        server: "https://k:6443".into(),
        ca: None,
        insecure: false,
        token: None,
        basic: None,
        client_cert: None,
        exec: Some(p),
    };
    let client = Client::new(&conn).unwrap();
    let auth = client.auth(None).unwrap();
    assert_eq!(auth.authorization.unwrap().expose(), "Bearer tok-client");
    let credential = auth.credential.unwrap();
    assert!(credential.client_cert.is_some());
    // The same credential next time: the agent is reused.
    let again = client.auth(None).unwrap();
    assert!(Arc::ptr_eq(&credential, &again.credential.unwrap()));
}
