//! Files, users, mounts and Ignition.

use base64::Engine as _;
use serde_json::json;
use serde_yaml_ng::Value;

use super::types::ConfigSpec;
use super::SpecReader;
use crate::bootstrap::artifacts::parse_mode;
use crate::bootstrap::capi::clc;
use crate::bootstrap::node::{FileSpec, UserSpec};
use crate::bootstrap::secret::Sensitive;

impl SpecReader<'_, '_> {
    pub(super) fn secret_value(&mut self, v: &Value, path: &str) -> Option<String> {
        let mut name = None;
        let mut key = None;
        for (k, val) in self.w.map(v, path) {
            match k.as_str() {
                "secret" => {
                    let sp = format!("{path}.secret");
                    for (sk, sv) in self.w.map(val, &sp) {
                        match sk.as_str() {
                            "name" => name = self.w.string(sv, &format!("{sp}.name")),
                            "key" => key = self.w.string(sv, &format!("{sp}.key")),
                            _ => self.unknown(&sp, &sk),
                        }
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
        let (Some(name), Some(key)) = (name, key) else {
            self.w.error(path, "needs secret.name and secret.key");
            return None;
        };
        match self.secrets.get(&name).and_then(|s| s.get(&key)) {
            Some(value) => Some(value.clone()),
            None => {
                self.w.error(
                    path,
                    format!("the Secret {name:?} (key {key:?}) has no value here; supply it in capi_secrets = {{ {name:?} = {{ {key:?} = ... }} }}, or add the Secret to the manifests"),
                );
                None
            }
        }
    }

    /// A file and, when its content is a Go template, the YAML path the
    /// content came from.
    pub(super) fn file(&mut self, v: &Value, path: &str) -> Option<(FileSpec, Option<String>)> {
        let mut fpath = None;
        let mut owner = None;
        let mut mode = 0o644;
        let mut content: Option<(String, String)> = None;
        let mut encoding = None;
        let mut template = None;
        let mut ok = true;
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "path" => fpath = self.w.string(val, &p),
                "owner" => owner = self.w.string(val, &p),
                "permissions" => {
                    if let Some(s) = self.w.string(val, &p) {
                        match parse_mode(&s) {
                            Some(m) => mode = m,
                            None => {
                                ok = false;
                                self.w.error(&p, format!("{s:?} is not an octal mode such as \"0644\""));
                            }
                        }
                    }
                }
                "encoding" => encoding = self.w.string(val, &p).map(|e| (e, p.clone())),
                "append" => {
                    if self.w.bool(val, &p) == Some(true) {
                        ok = false;
                        self.w.error(&p, "appending to a file of the image is not rendered; write the whole file instead (drop append)");
                    }
                }
                "content" => {
                    if let Some(c) = self.w.string(val, &p) {
                        // CABPK reads contentFrom instead when both are set.
                        if !content.as_ref().is_some_and(|(_, from)| from.ends_with(".contentFrom")) {
                            content = Some((c, p.clone()));
                        }
                    }
                }
                "contentFrom" => {
                    if !val.is_null() {
                        match self.secret_value(val, &p) {
                            Some(c) => content = Some((c, p.clone())),
                            None => ok = false,
                        }
                    }
                }
                "contentFormat" => match self.w.string(val, &p).as_deref() {
                    None => {}
                    Some(_) if !matches!(self.version, "v1beta1" | "v1beta2") => {
                        ok = false;
                        self.w.error(
                            &p,
                            format!("this field does not exist in Cluster API {}: file templates exist in v1beta1 and v1beta2 only; write the object in one of those, or render the content in Terraform (templatefile) and pass it plainly", self.version),
                        );
                    }
                    Some("Raw") => {}
                    Some("Template") => template = Some(p.clone()),
                    Some("go-template") => {
                        ok = false;
                        self.w.error(&p, "\"go-template\" is not a content format Cluster API knows (Raw or Template); for a file rendered with the control plane's version write Template and {{ .controlPlane.version }}, which carries the leading \"v\"");
                    }
                    Some(f) => {
                        ok = false;
                        self.w.error(&p, format!("{f:?} is not a content format Cluster API knows; use Raw (the default: the content as it is) or Template (a Go template)"));
                    }
                },
                _ => self.unknown(path, &k),
            }
        }
        let Some(fpath) = fpath else {
            self.w.error(path, "a file needs a path");
            return None;
        };
        let (mut content, mut content_path) = content.unwrap_or_default();
        if content_path.is_empty() {
            content_path = format!("{path}.content");
        }
        if let Some((enc, p)) = &encoding {
            match enc.as_str() {
                "" | "plain" | "text/plain" => {}
                "base64" | "b64" | "application/base64" => {
                    let cleaned: String = content.chars().filter(|c| !c.is_whitespace()).collect();
                    match base64::engine::general_purpose::STANDARD.decode(cleaned).map(String::from_utf8) {
                        Ok(Ok(text)) => content = text,
                        Ok(Err(_)) => {
                            ok = false;
                            self.w.error(p, "the decoded content is not UTF-8 text; binary files are not supported in files, ship them with kubernetes_artifacts or additional_ignition");
                        }
                        Err(e) => {
                            ok = false;
                            self.w.error(p, format!("content is not valid base64: {e}"));
                        }
                    }
                }
                "gzip"
                | "gz"
                | "gzip+base64"
                | "gz+base64"
                | "gz+b64"
                | "gzip+b64"
                | "application/x-gzip"
                | "application/x-gzip+base64" => {
                    ok = false;
                    self.w.error(p, "gzip-encoded files are not supported with Ignition (Cluster API refuses them too); give the content plain or base64-encoded");
                }
                other => {
                    ok = false;
                    self.w.error(p, format!("unknown encoding {other:?}; use base64 or leave it unset"));
                }
            }
        }
        let encoded = encoding.as_ref().is_some_and(|(e, _)| !matches!(e.as_str(), "" | "plain" | "text/plain"));
        if let (Some(p), true) = (&template, encoded) {
            // CABPK renders the content as it is written, before decoding;
            // base64 text holds no template actions, so nothing changes.
            self.w.warn(p, "has no effect on base64-encoded content: Cluster API renders the encoded text, which holds no template actions, and decodes it afterwards; give the content plain to render it as a template");
            template = None;
        }
        ok.then(|| {
            (
                FileSpec { path: fpath, content: Sensitive::new(content), mode, owner, replace_generated: true },
                template.map(|_| content_path),
            )
        })
    }

    /// A user; the second value is its sudoers rule.
    pub(super) fn user(&mut self, v: &Value, path: &str) -> Option<(UserSpec, Option<String>)> {
        let mut user = UserSpec {
            name: String::new(),
            ssh_authorized_keys: Vec::new(),
            groups: Vec::new(),
            gecos: None,
            home_dir: None,
            shell: None,
            primary_group: None,
            password_hash: None,
        };
        let mut sudo = None;
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "name" => user.name = self.w.string(val, &p).unwrap_or_default(),
                "sshAuthorizedKeys" => user.ssh_authorized_keys = self.w.strings(val, &p),
                "groups" => {
                    // A comma-separated string, as cloud-init takes it.
                    if let Some(g) = self.w.string(val, &p) {
                        user.groups = g.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                    }
                }
                "gecos" => user.gecos = self.w.string(val, &p),
                "homeDir" => user.home_dir = self.w.string(val, &p),
                "shell" => user.shell = self.w.string(val, &p),
                "primaryGroup" => user.primary_group = self.w.string(val, &p),
                "passwd" => user.password_hash = self.w.string(val, &p).map(Sensitive::new),
                "passwdFrom" => {
                    if !val.is_null() {
                        user.password_hash = self.secret_value(val, &p).map(Sensitive::new);
                    }
                }
                "lockPassword" => {
                    if self.w.bool(val, &p) == Some(false) {
                        self.w.warn(&p, "Ignition leaves password logins as the image has them (locked on Flatcar and Fedora CoreOS unless a password hash is set); lockPassword: false is not carried over");
                    }
                }
                "sudo" => sudo = self.w.string(val, &p).filter(|s| !s.trim().is_empty()),
                "inactive" => {
                    if self.w.bool(val, &p) == Some(true) {
                        self.w.error(&p, "Ignition cannot create inactive accounts (Cluster API refuses this with format: ignition too); remove inactive");
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
        if user.name.is_empty() {
            self.w.error(path, "a user needs a name");
            return None;
        }
        if let Some(rule) = &sudo {
            if rule.contains('\n') {
                self.w.error(&format!("{path}.sudo"), "a sudo rule is one line");
                return None;
            }
        }
        Some((user, sudo))
    }

    /// `mounts` (cloud-init style `[device, mount point, type, options]`) as
    /// systemd mount units in an Ignition config.
    pub(super) fn mounts(&mut self, v: &Value, path: &str, has_disk_setup: bool) -> Option<String> {
        let mut units = Vec::new();
        for (i, m) in self.w.list(v, path).iter().enumerate() {
            let mp = format!("{path}[{i}]");
            let parts = self.w.strings(m, &mp);
            if parts.len() < 2 {
                self.w.error(&mp, "a mount is [device, mount point, type, options]");
                continue;
            }
            if has_disk_setup {
                // Already reported: the device would need partitioning first.
                continue;
            }
            let (what, place) = (&parts[0], &parts[1]);
            if !place.starts_with('/') || place.contains("..") || place.contains(char::is_whitespace) {
                self.w.error(&mp, format!("the mount point {place:?} must be an absolute path"));
                continue;
            }
            if what.contains(char::is_whitespace) || what.is_empty() {
                self.w.error(&mp, format!("the device {what:?} is not usable"));
                continue;
            }
            let fstype = parts.get(2).filter(|t| !t.is_empty() && *t != "auto");
            let options = parts.get(3).filter(|o| !o.is_empty() && *o != "defaults");
            let mut unit = format!("[Unit]\nDescription=Mount {place}\nBefore=kubeadm-bootstrap.service\n\n[Mount]\nWhat={what}\nWhere={place}\n");
            if let Some(t) = fstype {
                unit.push_str(&format!("Type={t}\n"));
            }
            if let Some(o) = options {
                unit.push_str(&format!("Options={o}\n"));
            }
            unit.push_str("\n[Install]\nWantedBy=local-fs.target\n");
            units.push(json!({ "name": mount_unit_name(place), "enabled": true, "contents": unit }));
        }
        if units.is_empty() {
            return None;
        }
        Some(json!({ "ignition": { "version": "3.3.0" }, "systemd": { "units": units } }).to_string())
    }

    pub(super) fn ignition(&mut self, v: &Value, path: &str, out: &mut ConfigSpec) {
        for (k, val) in self.w.map(v, path) {
            let p = format!("{path}.{k}");
            match k.as_str() {
                "containerLinuxConfig" => {
                    let mut additional = None;
                    for (ck, cv) in self.w.map(val, &p) {
                        let cp = format!("{p}.{ck}");
                        match ck.as_str() {
                            "additionalConfig" => additional = self.w.string(cv, &cp).map(|s| (s, cp)),
                            "strict" => {
                                if self.w.bool(cv, &cp) == Some(false) {
                                    self.w.warn(&cp, "the conversion is always strict: anything in additionalConfig it cannot convert is an error");
                                }
                            }
                            _ => self.unknown(&p, &ck),
                        }
                    }
                    if let Some((text, cp)) = additional {
                        if let Some(json) = clc::to_ignition(&text, &cp, self.w) {
                            out.additional_ignition.push(json);
                        }
                    }
                }
                _ => self.unknown(path, &k),
            }
        }
    }
}

/// The unit name systemd requires for a mount point (`systemd-escape --path --suffix=mount`).
pub(super) fn mount_unit_name(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return "-.mount".into();
    }
    let mut out = String::new();
    for (i, b) in trimmed.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push_str(".mount");
    out
}
