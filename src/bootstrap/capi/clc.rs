//! Converts the part of a Container Linux Config (the YAML that Cluster
//! API's `ignition.containerLinuxConfig.additionalConfig` holds) that maps
//! one to one onto Ignition 3: `storage.files`, `storage.directories`,
//! `storage.links`, `systemd.units` and `passwd.users`/`groups`. Anything
//! else (disks, filesystems, networkd, the Container Linux service
//! sections) is an error naming its path: convert it with Butane and pass
//! it in `additional_ignition` instead.

use base64::Engine as _;
use serde_json::{json, Map, Value as Json};
use serde_yaml_ng::Value;

use super::yaml::{to_json, Walker};

/// CABPK's own bootstrap unit; the provider's is `kubeadm-bootstrap.service`.
const CABPK_UNIT: &str = "kubeadm.service";

/// YAML 1.1 (which Container Linux Configs are written in) reads `0644` as
/// octal; YAML 1.2 reads it as decimal. Rewrites `mode: 0NNN` to decimal.
fn octal_modes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start().trim_start_matches("- ");
        if let Some(rest) = trimmed.strip_prefix("mode:") {
            let value = rest.trim();
            if value.len() > 1 && value.starts_with('0') && value.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                if let (Ok(n), Some(at)) = (u32::from_str_radix(value, 8), line.find("mode:")) {
                    out.push_str(&line[..at]);
                    out.push_str(&format!("mode: {n}"));
                    if line.ends_with('\n') {
                        out.push('\n');
                    }
                    continue;
                }
            }
        }
        out.push_str(line);
    }
    out
}

/// The Ignition 3.3.0 JSON for a Container Linux Config, or `None` after
/// reporting what could not be converted.
pub(super) fn to_ignition(text: &str, path: &str, w: &mut Walker<'_>) -> Option<String> {
    let doc: Value = match serde_yaml_ng::from_str(&octal_modes(text)) {
        Ok(v) => v,
        Err(e) => {
            w.error(path, format!("is not valid YAML: {e}"));
            return None;
        }
    };
    let before = w.findings.iter().filter(|f| f.is_error()).count();
    let mut out = Map::new();
    out.insert("ignition".into(), json!({ "version": "3.3.0" }));
    for (k, v) in w.map(&doc, path) {
        let p = format!("{path}.{k}");
        match k.as_str() {
            "storage" => {
                let mut storage = Map::new();
                for (sk, sv) in w.map(v, &p) {
                    let sp = format!("{p}.{sk}");
                    match sk.as_str() {
                        "files" => {
                            let files: Vec<Json> =
                                w.list(sv, &sp).iter().enumerate().filter_map(|(i, f)| file(f, &format!("{sp}[{i}]"), w)).collect();
                            storage.insert("files".into(), Json::Array(files));
                        }
                        "directories" | "links" => {
                            let items: Vec<Json> = w
                                .list(sv, &sp)
                                .iter()
                                .enumerate()
                                .filter_map(|(i, f)| node(f, &format!("{sp}[{i}]"), &sk, w))
                                .collect();
                            storage.insert(sk.clone(), Json::Array(items));
                        }
                        _ => w.error(&sp, "not converted from Container Linux Config (only storage.files, directories and links are); write it as Ignition 3 JSON (e.g. with Butane) in additional_ignition"),
                    }
                }
                out.insert("storage".into(), Json::Object(storage));
            }
            "systemd" => {
                let mut units = Vec::new();
                for (sk, sv) in w.map(v, &p) {
                    let sp = format!("{p}.{sk}");
                    if sk != "units" {
                        w.error(&sp, "unknown systemd section; only systemd.units is converted");
                        continue;
                    }
                    for (i, u) in w.list(sv, &sp).iter().enumerate() {
                        if let Some(unit) = unit(u, &format!("{sp}[{i}]"), w) {
                            units.push(unit);
                        }
                    }
                }
                out.insert("systemd".into(), json!({ "units": units }));
            }
            "passwd" => {
                let mut passwd = Map::new();
                for (pk, pv) in w.map(v, &p) {
                    let pp = format!("{p}.{pk}");
                    match pk.as_str() {
                        "users" | "groups" => {
                            let items: Vec<Json> = w
                                .list(pv, &pp)
                                .iter()
                                .enumerate()
                                .filter_map(|(i, u)| account(u, &format!("{pp}[{i}]"), pk == "users", w))
                                .collect();
                            passwd.insert(pk.clone(), Json::Array(items));
                        }
                        _ => w.error(&pp, "unknown passwd section; users and groups are converted"),
                    }
                }
                out.insert("passwd".into(), Json::Object(passwd));
            }
            "ignition" => w.error(&p, "config references (ignition.config) are not converted; the node's config is the provider's, add configs with additional_ignition"),
            _ => w.error(&p, "not converted from Container Linux Config (networkd, flannel, docker, update, locksmith, etcd and disk sections need Container Linux tooling); write the equivalent Ignition 3 JSON (e.g. with Butane) in additional_ignition"),
        }
    }
    let after = w.findings.iter().filter(|f| f.is_error()).count();
    // Nothing left to merge (e.g. only CABPK's own unit was there).
    let empty = out.iter().all(|(k, v)| {
        k == "ignition" || v.as_object().is_some_and(|m| m.values().all(|x| x.as_array().is_some_and(Vec::is_empty)))
    });
    (after == before && !empty).then(|| Json::Object(out).to_string())
}

fn data_url(text: &str) -> String {
    format!("data:;base64,{}", base64::engine::general_purpose::STANDARD.encode(text.as_bytes()))
}

fn owner(v: &Value, path: &str, w: &mut Walker<'_>) -> Option<Json> {
    let mut m = Map::new();
    for (k, val) in w.map(v, path) {
        let p = format!("{path}.{k}");
        match k.as_str() {
            "id" => {
                if let Some(id) = w.int(val, &p) {
                    m.insert("id".into(), json!(id));
                }
            }
            "name" => {
                if let Some(n) = w.string(val, &p) {
                    m.insert("name".into(), json!(n));
                }
            }
            _ => w.error(&p, "unknown field; use id or name"),
        }
    }
    (!m.is_empty()).then_some(Json::Object(m))
}

/// Fields shared by files, directories and links.
fn common(k: &str, val: &Value, p: &str, m: &mut Map<String, Json>, w: &mut Walker<'_>) -> bool {
    match k {
        "path" => {
            if let Some(s) = w.string(val, p) {
                if !s.starts_with('/') {
                    w.error(p, "must be an absolute path");
                }
                m.insert("path".into(), json!(s));
            }
        }
        "filesystem" => {
            if w.string(val, p).is_some_and(|f| f != "root") {
                w.error(p, "only the root filesystem is converted; describe other filesystems as Ignition 3 JSON in additional_ignition");
            }
        }
        "user" | "group" => {
            if let Some(o) = owner(val, p, w) {
                m.insert(k.into(), o);
            }
        }
        "overwrite" => {
            if let Some(b) = w.bool(val, p) {
                m.insert("overwrite".into(), json!(b));
            }
        }
        "mode" => match w.int(val, p) {
            Some(mode) if (0..=0o7777).contains(&mode) => {
                m.insert("mode".into(), json!(mode));
            }
            Some(mode) => w.error(p, format!("{mode} is not a file mode")),
            None => {}
        },
        _ => return false,
    }
    true
}

fn file(v: &Value, path: &str, w: &mut Walker<'_>) -> Option<Json> {
    let mut m = Map::new();
    let mut append = false;
    // Container Linux Configs overwrite by default (Ignition 2); Ignition 3 does not.
    m.insert("overwrite".into(), json!(true));
    for (k, val) in w.map(v, path) {
        let p = format!("{path}.{k}");
        if common(&k, val, &p, &mut m, w) {
            continue;
        }
        match k.as_str() {
            "append" => append = w.bool(val, &p) == Some(true),
            "contents" => {
                let mut source = None;
                let mut extra = Map::new();
                for (ck, cv) in w.map(val, &p) {
                    let cp = format!("{p}.{ck}");
                    match ck.as_str() {
                        "inline" => source = w.string(cv, &cp).map(|s| data_url(&s)),
                        "local" => {
                            w.error(&cp, "local contents are read from the machine running the transpiler; inline them")
                        }
                        "remote" => {
                            for (rk, rv) in w.map(cv, &cp) {
                                let rp = format!("{cp}.{rk}");
                                match rk.as_str() {
                                    "url" => source = w.string(rv, &rp),
                                    "compression" => {
                                        if let Some(c) = w.string(rv, &rp) {
                                            extra.insert("compression".into(), json!(c));
                                        }
                                    }
                                    "verification" => {
                                        let function = super::yaml::at_str(rv, "hash.function").map(str::to_string);
                                        let sum = super::yaml::at_str(rv, "hash.sum").map(str::to_string);
                                        match (function, sum) {
                                            (Some(f), Some(s)) if f == "sha512" || f == "sha256" => {
                                                extra.insert(
                                                    "verification".into(),
                                                    json!({ "hash": format!("{f}-{s}") }),
                                                );
                                            }
                                            _ => w.error(&rp, "needs hash.function (sha512 or sha256) and hash.sum"),
                                        }
                                    }
                                    _ => w.error(&rp, "unknown field"),
                                }
                            }
                        }
                        _ => w.error(&cp, "unknown field; use inline or remote"),
                    }
                }
                if let Some(s) = source {
                    extra.insert("source".into(), json!(s));
                }
                m.insert("contents".into(), Json::Object(extra));
            }
            _ => w.error(&p, "unknown field of a Container Linux Config file"),
        }
    }
    if append {
        if let Some(contents) = m.remove("contents") {
            m.insert("append".into(), json!([contents]));
        }
        m.remove("overwrite");
    }
    m.contains_key("path").then_some(Json::Object(m)).or_else(|| {
        w.error(path, "a file needs a path");
        None
    })
}

fn node(v: &Value, path: &str, kind: &str, w: &mut Walker<'_>) -> Option<Json> {
    let mut m = Map::new();
    for (k, val) in w.map(v, path) {
        let p = format!("{path}.{k}");
        if common(&k, val, &p, &mut m, w) {
            continue;
        }
        match (k.as_str(), kind) {
            ("target", "links") => {
                if let Some(t) = w.string(val, &p) {
                    m.insert("target".into(), json!(t));
                }
            }
            ("hard", "links") => {
                if let Some(b) = w.bool(val, &p) {
                    m.insert("hard".into(), json!(b));
                }
            }
            _ => w.error(&p, "unknown field"),
        }
    }
    Some(Json::Object(m))
}

fn unit(v: &Value, path: &str, w: &mut Walker<'_>) -> Option<Json> {
    let mut m = Map::new();
    for (k, val) in w.map(v, path) {
        let p = format!("{path}.{k}");
        match k.as_str() {
            "name" | "contents" => {
                if let Some(s) = w.string(val, &p) {
                    m.insert(k.clone(), json!(s));
                }
            }
            "enable" | "enabled" => {
                if let Some(b) = w.bool(val, &p) {
                    m.insert("enabled".into(), json!(b));
                }
            }
            "mask" => {
                if let Some(b) = w.bool(val, &p) {
                    m.insert("mask".into(), json!(b));
                }
            }
            "dropins" => {
                let mut dropins = Vec::new();
                for (i, d) in w.list(val, &p).iter().enumerate() {
                    let dp = format!("{p}[{i}]");
                    let mut dm = Map::new();
                    for (dk, dv) in w.map(d, &dp) {
                        match dk.as_str() {
                            "name" | "contents" => {
                                if let Some(s) = w.string(dv, &format!("{dp}.{dk}")) {
                                    dm.insert(dk.clone(), json!(s));
                                }
                            }
                            _ => w.error(&format!("{dp}.{dk}"), "unknown field; a drop-in has name and contents"),
                        }
                    }
                    dropins.push(Json::Object(dm));
                }
                m.insert("dropins".into(), Json::Array(dropins));
            }
            _ => w.error(&p, "unknown field of a systemd unit"),
        }
    }
    if m.get("name").and_then(Json::as_str) == Some(CABPK_UNIT) {
        w.warn(path, "kubeadm.service is Cluster API's bootstrap unit; here kubeadm runs from kubeadm-bootstrap.service, which already waits for the network, containerd and the metadata agent, so this unit is left out");
        return None;
    }
    if !m.contains_key("name") {
        w.error(path, "a unit needs a name");
        return None;
    }
    Some(Json::Object(m))
}

fn account(v: &Value, path: &str, is_user: bool, w: &mut Walker<'_>) -> Option<Json> {
    let mut m = Map::new();
    for (k, val) in w.map(v, path) {
        let p = format!("{path}.{k}");
        let renamed = match (k.as_str(), is_user) {
            ("name", _) => "name",
            ("password_hash", _) => "passwordHash",
            ("system", _) => "system",
            ("ssh_authorized_keys", true) => "sshAuthorizedKeys",
            ("uid", true) => "uid",
            ("gid", false) => "gid",
            ("gecos", true) => "gecos",
            ("home_dir", true) => "homeDir",
            ("no_create_home", true) => "noCreateHome",
            ("primary_group", true) => "primaryGroup",
            ("groups", true) => "groups",
            ("no_user_group", true) => "noUserGroup",
            ("no_log_init", true) => "noLogInit",
            ("shell", true) => "shell",
            _ => {
                w.error(&p, "unknown field");
                continue;
            }
        };
        m.insert(renamed.into(), to_json(val));
    }
    m.contains_key("name").then_some(Json::Object(m)).or_else(|| {
        w.error(path, "needs a name");
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_modes_follow_yaml_1_1() {
        assert_eq!(octal_modes("  - path: /x\n    mode: 0644\n"), "  - path: /x\n    mode: 420\n");
        assert_eq!(octal_modes("mode: 420\n"), "mode: 420\n");
        assert_eq!(octal_modes("- mode: 0755"), "- mode: 493");
    }

    #[test]
    fn converts_units_files_and_users() {
        let mut findings = Vec::new();
        let mut w = Walker { object: "test".into(), findings: &mut findings };
        let text = "systemd:\n  units:\n    - name: a.service\n      enable: true\n      contents: |\n        [Service]\n        ExecStart=/bin/true\n    - name: kubeadm.service\n      dropins:\n        - name: 10-x.conf\n          contents: x\nstorage:\n  files:\n    - path: /etc/x\n      filesystem: root\n      mode: 0600\n      contents:\n        inline: hello\npasswd:\n  users:\n    - name: core\n      ssh_authorized_keys: [\"ssh-ed25519 AAAA\"]\n";
        let out = to_ignition(text, "spec.ignition.containerLinuxConfig.additionalConfig", &mut w).unwrap();
        let v: Json = serde_json::from_str(&out).unwrap();
        assert_eq!(v["systemd"]["units"].as_array().unwrap().len(), 1);
        assert_eq!(v["systemd"]["units"][0]["enabled"], json!(true));
        assert_eq!(v["storage"]["files"][0]["mode"], json!(0o600));
        assert_eq!(v["storage"]["files"][0]["contents"]["source"], json!("data:;base64,aGVsbG8="));
        assert_eq!(v["passwd"]["users"][0]["sshAuthorizedKeys"][0], json!("ssh-ed25519 AAAA"));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(!findings[0].is_error());
    }

    #[test]
    fn refuses_what_it_cannot_convert() {
        let mut findings = Vec::new();
        let mut w = Walker { object: "test".into(), findings: &mut findings };
        assert!(to_ignition("networkd:\n  units: []\nstorage:\n  disks: []\n", "x", &mut w).is_none());
        let paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["x.networkd", "x.storage.disks"]);
    }
}
