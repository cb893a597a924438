//! Builds the Ignition config of one node from its [`NodeSpec`]: collects
//! every generated and user-supplied file and unit, checks paths, modes and
//! names, serialises in a fixed order, then merges `additional_ignition`.
//!
//! Plain domain code: no tonic, prost, msgpack, `crate::tfplugin` or
//! `crate::provider`.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::Value;

use super::merge;
use super::profile::Profile;
use super::types::{
    Config, Dropin, File, Ignition, Owner, Passwd, Resource, Storage, Systemd, Unit, User, Verification,
};
use super::units::{self, Archive, Bootstrap};
use super::{IgnitionError, Rendered, CONFIG_PATH, NODE_NAME_PLACEHOLDER, PATCHES_DIR, PROVIDER_ID_PLACEHOLDER};
use crate::bootstrap::kubeadm;
use crate::bootstrap::node::{Artifacts, IgnitionVersion, NameFrom, NodeSpec, RemoteFile, Role};

/// Where generated entries come from, in duplicate-path errors.
const GENERATED: &str = "the generated node config";

/// Mode bits.
const MODE_FILE: u32 = 0o644;
const MODE_SECRET: u32 = 0o600;
const MODE_SCRIPT: u32 = 0o700;

/// The static control-plane pods kubeadm creates, each patched on Fedora
/// CoreOS.
const STATIC_PODS: [&str; 4] = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/// URL schemes Ignition fetches from, and the first 3.x minor version that
/// accepts each.
const URL_SCHEMES: [(&str, u8); 7] =
    [("http", 0), ("https", 0), ("tftp", 0), ("s3", 0), ("data", 0), ("gs", 2), ("arn", 4)];

/// The 3.x minor version of a spec version.
fn minor(version: IgnitionVersion) -> u8 {
    match version {
        IgnitionVersion::V3_3 => 3,
        IgnitionVersion::V3_4 => 4,
    }
}

/// An inline `data:` URL carrying `bytes`.
fn data_url(bytes: &[u8]) -> String {
    format!("data:;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Collects entries, refusing two files at one path.
struct Builder<'a> {
    spec: &'a NodeSpec,
    profile: &'static Profile,
    /// Path → file and the input it comes from.
    files: BTreeMap<String, (File, String)>,
    units: BTreeMap<String, Unit>,
    warnings: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(spec: &'a NodeSpec) -> Self {
        Builder {
            spec,
            profile: Profile::of(spec.os),
            files: BTreeMap::new(),
            units: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Adds a file, refusing a second one at the same path.
    fn put(&mut self, origin: &str, file: File) -> Result<(), IgnitionError> {
        match self.files.entry(file.path.clone()) {
            Entry::Occupied(e) => Err(IgnitionError::DuplicatePath {
                path: file.path,
                first: e.get().1.clone(),
                second: origin.to_owned(),
            }),
            Entry::Vacant(v) => {
                v.insert((file, origin.to_owned()));
                Ok(())
            }
        }
    }

    fn inline(&mut self, path: &str, contents: &[u8], mode: u32) -> Result<(), IgnitionError> {
        self.put(GENERATED, inline_file(path, contents, mode))
    }

    fn unit(&mut self, name: &str) -> &mut Unit {
        self.units.entry(name.to_owned()).or_insert_with(|| Unit { name: name.to_owned(), ..Unit::default() })
    }

    fn service(&mut self, name: &str, contents: String, enabled: bool) {
        let unit = self.unit(name);
        unit.contents = Some(contents);
        if enabled {
            unit.enabled = Some(true);
        }
    }

    fn dropin(&mut self, unit: &str, name: &str, contents: String) {
        self.unit(unit).dropins.push(Dropin { name: name.to_owned(), contents });
    }

    fn max_mode(&self) -> u32 {
        // Spec 3.4 added setuid, setgid and the sticky bit.
        if minor(self.spec.ignition_version) >= 4 {
            0o7777
        } else {
            0o777
        }
    }

    fn check_mode(&self, what: &str, path: &str, mode: u32) -> Result<(), IgnitionError> {
        let max = self.max_mode();
        if mode > max {
            return Err(IgnitionError::BadMode {
                what: what.to_owned(),
                path: path.to_owned(),
                mode,
                max,
                version: self.spec.ignition_version.as_str(),
            });
        }
        Ok(())
    }

    fn check_writable(&self, what: &str, path: &str) -> Result<(), IgnitionError> {
        if self.profile.is_read_only(path) {
            return Err(IgnitionError::ReadOnlyPath {
                what: what.to_owned(),
                path: path.to_owned(),
                os: self.profile.os.as_str(),
                bin_dir: self.profile.bin_dir,
            });
        }
        Ok(())
    }
}

/// A file with inline contents. Every file is written with `overwrite`:
/// Ignition runs once, on the pristine image, and what the node needs must
/// win over a default the image may carry at the same path (without it,
/// Ignition fails on an existing file).
fn inline_file(path: &str, contents: &[u8], mode: u32) -> File {
    File {
        path: path.to_owned(),
        overwrite: Some(true),
        contents: Resource { source: data_url(contents), verification: None },
        mode,
        user: None,
        group: None,
    }
}

/// Checks that `path` is absolute and clean (no empty, `.` or `..` parts, no
/// trailing slash), so that equal files have equal paths.
fn check_path(what: &str, path: &str) -> Result<(), IgnitionError> {
    let bad = |problem| Err(IgnitionError::BadPath { what: what.to_owned(), path: path.to_owned(), problem });
    let Some(rest) = path.strip_prefix('/') else {
        return bad("must be an absolute path");
    };
    if rest.is_empty() || rest.ends_with('/') {
        return bad("must name a file, without a trailing slash");
    }
    if rest.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return bad("must not contain empty, \".\" or \"..\" components");
    }
    if path.chars().any(char::is_control) {
        return bad("must not contain control characters");
    }
    Ok(())
}

/// True for paths that can appear in a unit's command line without quoting.
fn unit_safe(path: &str) -> bool {
    path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+@:=,".contains(&b))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Parses `user:group`, `user`, or numeric ids into Ignition owners.
fn parse_owner(owner: &str) -> Option<(Owner, Option<Owner>)> {
    let one = |s: &str| -> Option<Owner> {
        if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control() || c == ':' || c == '/') {
            return None;
        }
        Some(match s.parse::<u32>() {
            Ok(id) => Owner { id: Some(id), name: None },
            Err(_) => Owner { id: None, name: Some(s.to_owned()) },
        })
    };
    match owner.split_once(':') {
        Some((user, group)) => Some((one(user)?, Some(one(group)?))),
        None => Some((one(owner)?, None)),
    }
}

pub(crate) fn render(spec: &NodeSpec, kubeadm_yaml: &str) -> Result<Rendered, IgnitionError> {
    check_kubeadm_yaml(spec, kubeadm_yaml)?;
    let mut b = Builder::new(spec);
    if spec.node.name_from == NameFrom::Aws && !kubeadm_yaml.contains(NODE_NAME_PLACEHOLDER) {
        b.warnings.push(format!(
            "the node name should come from EC2 metadata, but the kubeadm config has no {NODE_NAME_PLACEHOLDER} \
             placeholder: the node registers under its hostname"
        ));
    }

    base(&mut b)?;
    let (kubeadm, unpacks_archives) = artifacts(&mut b)?;
    control_plane(&mut b)?;
    b.inline(CONFIG_PATH, kubeadm_yaml.as_bytes(), MODE_SECRET)?;
    bootstrap(&mut b, &kubeadm, unpacks_archives)?;
    user_files(&mut b)?;
    users_and_time(&mut b)?;
    check_nesting(&b.files)?;

    let generated = Generated::of(&b);
    let Parts { files, units, users, mut warnings } = into_parts(b);
    let config = Config {
        ignition: Ignition { version: spec.ignition_version.as_str().to_owned(), config: None, timeouts: None },
        passwd: Passwd { users },
        storage: Storage { files },
        systemd: Systemd { units },
    };
    let mut value = serde_json::to_value(&config).map_err(|e| IgnitionError::Serialize(e.to_string()))?;
    for (index, text) in spec.additional_ignition.iter().enumerate() {
        let child = parse_additional(index, text, spec.ignition_version)?;
        generated.warn_about(index, &child, &mut warnings);
        value = merge::merge(&value, &child);
    }
    let json = serde_json::to_string(&value).map_err(|e| IgnitionError::Serialize(e.to_string()))?;
    Ok(Rendered { json, warnings })
}

fn check_kubeadm_yaml(spec: &NodeSpec, yaml: &str) -> Result<(), IgnitionError> {
    if yaml.trim().is_empty() {
        return Err(IgnitionError::EmptyKubeadmConfig);
    }
    // The join path of an init node hands this file to kubeadm join.
    if spec.role == Role::Init
        && !spec.cluster.control_plane_endpoint.is_empty()
        && !yaml.lines().any(|l| l == "kind: JoinConfiguration")
    {
        return Err(IgnitionError::InitWithoutJoin);
    }
    if spec.node.name_from == NameFrom::Hostname {
        for placeholder in [NODE_NAME_PLACEHOLDER, PROVIDER_ID_PLACEHOLDER] {
            if yaml.contains(placeholder) {
                return Err(IgnitionError::UnfilledPlaceholder { placeholder });
            }
        }
    }
    Ok(())
}

/// Modules, sysctls, swap, crictl, containerd, update policy.
fn base(b: &mut Builder<'_>) -> Result<(), IgnitionError> {
    let p = b.profile;
    b.inline("/etc/modules-load.d/k8s.conf", units::MODULES_LOAD.as_bytes(), MODE_FILE)?;
    b.inline("/etc/sysctl.d/90-kubernetes.conf", units::SYSCTL.as_bytes(), MODE_FILE)?;
    b.inline("/etc/systemd/zram-generator.conf", units::ZRAM_GENERATOR.as_bytes(), MODE_FILE)?;
    b.inline("/etc/crictl.yaml", units::crictl_yaml().as_bytes(), MODE_FILE)?;
    if p.configures_containerd {
        b.inline("/etc/containerd/config.toml", units::containerd_config().as_bytes(), MODE_FILE)?;
        b.unit("containerd.service").enabled = Some(true);
    }
    // On Flatcar nothing is written for containerd: the built-in one is
    // started by default with CRI, the standard socket and systemd cgroups.
    for masked in p.masked_units {
        b.unit(masked).mask = Some(true);
    }
    b.inline(p.update_policy_path, p.update_policy.as_bytes(), MODE_FILE)?;
    Ok(())
}

/// Fetched binaries and archives, and the kubelet units when the kubelet is
/// fetched. Returns how the bootstrap script calls kubeadm, and whether
/// archives are unpacked.
fn artifacts(b: &mut Builder<'_>) -> Result<(String, bool), IgnitionError> {
    let files = match &b.spec.artifacts {
        Artifacts::Preinstalled => {
            // The image carries the kubelet's units; only make sure it starts.
            b.unit("kubelet.service").enabled = Some(true);
            if needs_crictl(b) {
                b.warnings.push(format!(
                    "kubeadm {} needs crictl and {} does not ship it: the image must provide it on PATH, or \
                     kubeadm's preflight fails (FileExisting-crictl)",
                    b.spec.cluster.kubernetes_version,
                    b.profile.os.as_str()
                ));
            }
            return Ok(("kubeadm".to_owned(), false));
        }
        Artifacts::Remote(files) => files,
    };
    let brings_crictl = files.iter().any(|f| {
        let name = file_name(&f.path);
        if f.extract_to.is_some() {
            name.starts_with("crictl")
        } else {
            name == "crictl"
        }
    });
    if needs_crictl(b) && !brings_crictl {
        return Err(IgnitionError::MissingCrictl {
            version: b.spec.cluster.kubernetes_version.to_string(),
            os: b.profile.os.as_str(),
            bin_dir: b.profile.bin_dir,
        });
    }
    let mut archives = Vec::new();
    for rf in files {
        let file = remote_file(b, rf)?;
        b.put(&format!("kubernetes_artifacts file {}", rf.path), file)?;
        if let Some(into) = &rf.extract_to {
            archives.push(Archive { file: &rf.path, into });
        }
    }
    let binary = |name: &str| {
        files.iter().find(|f| f.extract_to.is_none() && file_name(&f.path) == name).map(|f| f.path.clone())
    };
    let kubelet = binary("kubelet").unwrap_or_else(|| {
        let fallback = format!("{}/kubelet", b.profile.bin_dir);
        b.warnings.push(format!(
            "kubernetes_artifacts has no file named kubelet: the kubelet unit runs {fallback}, which the image must provide"
        ));
        fallback
    });
    let kubeadm = binary("kubeadm").unwrap_or_else(|| "kubeadm".to_owned());

    b.service("kubelet.service", units::kubelet_service(&kubelet), true);
    b.dropin("kubelet.service", "10-kubeadm.conf", units::kubeadm_kubelet_dropin(&kubelet));
    if b.profile.needs_path_dropin {
        let dropin = units::path_dropin(b.profile);
        b.dropin("kubelet.service", "05-path.conf", dropin);
    }
    b.inline("/etc/sysconfig/kubelet", units::SYSCONFIG_KUBELET.as_bytes(), MODE_FILE)?;
    let unpacks = !archives.is_empty();
    if unpacks {
        b.service(units::ARTIFACTS_UNIT, units::artifacts_service(&archives), true);
    }
    Ok((kubeadm, unpacks))
}

/// kubeadm before 1.31 calls crictl; does this image lack it?
fn needs_crictl(b: &Builder<'_>) -> bool {
    !b.profile.ships_crictl && b.spec.cluster.kubernetes_version.minor < 31
}

fn remote_file(b: &Builder<'_>, rf: &RemoteFile) -> Result<File, IgnitionError> {
    let bad = |problem: String| IgnitionError::BadArtifact { path: rf.path.clone(), problem };
    let what = "kubernetes_artifacts file";
    check_path(what, &rf.path)?;
    b.check_writable(what, &rf.path)?;
    b.check_mode(what, &rf.path, rf.mode)?;
    if rf.sha512.len() != 128 || !rf.sha512.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad("sha512 must be 128 hexadecimal digits".into()));
    }
    let scheme = rf.url.split_once(':').map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
    let version = b.spec.ignition_version;
    match URL_SCHEMES.iter().find(|(s, _)| *s == scheme) {
        None => {
            return Err(bad(format!(
                "url must start with one of {}",
                URL_SCHEMES.iter().map(|(s, _)| format!("{s}:")).collect::<Vec<_>>().join(", ")
            )))
        }
        Some((s, since)) if *since > minor(version) => {
            return Err(bad(format!("{s}: URLs need Ignition spec 3.{since}.0 or newer, not {}", version.as_str())))
        }
        Some(_) => {}
    }
    if rf.url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("url must not contain spaces or control characters".into()));
    }
    if let Some(into) = &rf.extract_to {
        check_path("kubernetes_artifacts extract_to", into)?;
        b.check_writable("kubernetes_artifacts extract_to", into)?;
        if !unit_safe(&rf.path) || !unit_safe(into) {
            return Err(bad(
                "archives and their extract_to directory may only use letters, digits and / . _ - + @ : = , \
                 (they appear on a unit's command line)"
                    .into(),
            ));
        }
    }
    Ok(File {
        path: rf.path.clone(),
        overwrite: Some(true),
        contents: Resource {
            source: rf.url.clone(),
            verification: Some(Verification { hash: format!("sha512-{}", rf.sha512.to_ascii_lowercase()) }),
        },
        mode: rf.mode,
        user: None,
        group: None,
    })
}

/// The CAs and service-account keys, and on Fedora CoreOS the SELinux
/// patches. Workers get none of it, even when the spec carries the PKI.
fn control_plane(b: &mut Builder<'_>) -> Result<(), IgnitionError> {
    let role = b.spec.role;
    if !role.is_control_plane() {
        return Ok(());
    }
    let pki = b.spec.pki.as_ref().ok_or(IgnitionError::MissingPki { role: role.as_str() })?;
    let dir = "/etc/kubernetes/pki";
    let pairs = [("ca", &pki.ca), ("front-proxy-ca", &pki.front_proxy_ca), ("etcd/ca", &pki.etcd_ca)];
    for (stem, ca) in pairs {
        b.inline(&format!("{dir}/{stem}.crt"), ca.cert_pem.as_bytes(), MODE_FILE)?;
        b.inline(&format!("{dir}/{stem}.key"), ca.key_pem.expose().as_bytes(), MODE_SECRET)?;
    }
    b.inline(&format!("{dir}/sa.pub"), pki.sa_public_pem.as_bytes(), MODE_FILE)?;
    b.inline(&format!("{dir}/sa.key"), pki.sa_private_pem.expose().as_bytes(), MODE_SECRET)?;
    if b.profile.selinux_patches {
        let patch = units::selinux_patch();
        for pod in STATIC_PODS {
            b.inline(&format!("{PATCHES_DIR}/{pod}.yaml"), patch.as_bytes(), MODE_FILE)?;
        }
    }
    Ok(())
}

/// The seeded token's expiry on an init node, for the bootstrap script.
fn token_expiry(spec: &NodeSpec) -> Result<Option<(String, i64)>, IgnitionError> {
    if spec.role != Role::Init {
        return Ok(None);
    }
    let Some(expires) = &spec.bootstrap_token.expires else { return Ok(None) };
    let at = time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
        .map_err(|e| IgnitionError::TokenExpiry { expires: expires.clone(), reason: e.to_string() })?;
    Ok(Some((expires.clone(), at.unix_timestamp())))
}

/// The endpoint an init node looks for its running cluster at, as
/// `host:port`: `None` without a control-plane endpoint (nothing to join).
fn join_endpoint(spec: &NodeSpec) -> Result<Option<String>, IgnitionError> {
    if spec.role != Role::Init || spec.cluster.control_plane_endpoint.is_empty() {
        return Ok(None);
    }
    let endpoint = kubeadm::endpoint_with_port(&spec.cluster.control_plane_endpoint)
        .map_err(|e| IgnitionError::JoinEndpoint { reason: e.to_string() })?;
    // It goes into the script as a plain word: a host name or address and a port, nothing a shell reads.
    if !endpoint.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)) {
        return Err(IgnitionError::JoinEndpoint {
            reason: format!("{endpoint:?} holds characters no host name or address has"),
        });
    }
    Ok(Some(endpoint))
}

/// The bootstrap script and unit, and the health check.
fn bootstrap(b: &mut Builder<'_>, kubeadm: &str, unpacks_archives: bool) -> Result<(), IgnitionError> {
    let spec = b.spec;
    let plan = Bootstrap {
        role: spec.role,
        profile: b.profile,
        kubeadm,
        name_from_aws: spec.node.name_from == NameFrom::Aws,
        unpacks_archives,
        pre_commands: &spec.pre_kubeadm_commands,
        post_commands: &spec.post_kubeadm_commands,
        verbosity: spec.node.kubeadm_verbosity,
        token_expires: token_expiry(spec)?,
        join_endpoint: join_endpoint(spec)?,
    };
    b.inline(units::BOOTSTRAP_SCRIPT, units::bootstrap_script(&plan).as_bytes(), MODE_SCRIPT)?;
    b.service(units::BOOTSTRAP_UNIT, units::bootstrap_service(&plan), true);
    b.inline(units::HEALTH_SCRIPT, units::health_script(b.profile).as_bytes(), MODE_SCRIPT)?;
    b.service(units::HEALTH_UNIT, units::health_service(), false);
    b.service(units::HEALTH_TIMER, units::health_timer(), true);
    Ok(())
}

/// The user's `files`.
fn user_files(b: &mut Builder<'_>) -> Result<(), IgnitionError> {
    let spec = b.spec;
    for (index, f) in spec.files.iter().enumerate() {
        let what = format!("files[{index}]");
        check_path(&what, &f.path)?;
        b.check_writable(&what, &f.path)?;
        b.check_mode(&what, &f.path, f.mode)?;
        if f.replace_generated && b.files.get(&f.path).is_some_and(|(_, origin)| origin == GENERATED) {
            b.files.remove(&f.path);
            b.warnings.push(format!(
                "{what} replaces the file the provider generates at {}; keep in it what the node needs from the generated one",
                f.path
            ));
        }
        let mut file = inline_file(&f.path, f.content.expose().as_bytes(), f.mode);
        if let Some(owner) = &f.owner {
            let bad = || IgnitionError::BadOwner { index, path: f.path.clone(), owner: owner.clone() };
            let (user, group) = parse_owner(owner).ok_or_else(bad)?;
            file.user = Some(user);
            file.group = group;
        }
        b.put(&what, file)?;
    }
    Ok(())
}

/// Checked accounts, and the NTP configuration.
fn users_and_time(b: &mut Builder<'_>) -> Result<(), IgnitionError> {
    let spec = b.spec;
    let mut seen = BTreeSet::new();
    for (index, u) in spec.users.iter().enumerate() {
        let bad = |problem| IgnitionError::BadUser { index, name: u.name.clone(), problem };
        if !valid_account_name(&u.name) {
            return Err(bad("account names use letters, digits, '.', '_' and '-', and do not start with '-'"));
        }
        if !seen.insert(u.name.as_str()) {
            return Err(bad("the account is listed twice"));
        }
        if u.groups.iter().any(|g| !valid_account_name(g)) {
            return Err(bad("group names use letters, digits, '.', '_' and '-', and do not start with '-'"));
        }
        if u.ssh_authorized_keys.iter().any(|k| k.trim().is_empty() || k.contains(['\n', '\r'])) {
            return Err(bad("each SSH key must be one non-empty line"));
        }
        if u.primary_group.as_deref().is_some_and(|g| !valid_account_name(g)) {
            return Err(bad("the primary group uses letters, digits, '.', '_' and '-', and does not start with '-'"));
        }
        for dir in [&u.home_dir, &u.shell].into_iter().flatten() {
            if !dir.starts_with('/') || dir.contains(['\n', '\r', ':']) {
                return Err(bad("home directory and shell must be absolute paths without ':'"));
            }
        }
        if u.gecos.as_deref().is_some_and(|g| g.contains(['\n', '\r', ':'])) {
            return Err(bad("gecos must be one line without ':'"));
        }
        let keys: BTreeSet<&String> = u.ssh_authorized_keys.iter().collect();
        if keys.len() != u.ssh_authorized_keys.len() {
            return Err(bad("an SSH key is listed twice"));
        }
    }
    if !spec.ntp_servers.is_empty() {
        for server in &spec.ntp_servers {
            let bad = |problem| IgnitionError::BadNtpServer { server: server.clone(), problem };
            if server.is_empty() {
                return Err(bad("must not be empty"));
            }
            if server.chars().any(|c| c.is_whitespace() || c.is_control() || c == '#' || c == '"') {
                return Err(bad("must be a host name or address, without spaces, quotes or '#'"));
            }
        }
        let (path, text) = units::time_sync(b.profile, &spec.ntp_servers);
        b.inline(path, text.as_bytes(), MODE_FILE)?;
    }
    Ok(())
}

fn valid_account_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name.len() <= 256
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c))
}

/// Refuses a file below another file: Ignition would fail to create the
/// directory at boot.
fn check_nesting(files: &BTreeMap<String, (File, String)>) -> Result<(), IgnitionError> {
    for (path, (_, origin)) in files {
        let mut dir = path.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if parent.is_empty() {
                break;
            }
            if let Some((_, parent_from)) = files.get(parent) {
                return Err(IgnitionError::PathUnderFile {
                    what: origin.clone(),
                    path: path.clone(),
                    parent: parent.to_owned(),
                    parent_from: parent_from.clone(),
                });
            }
            dir = parent;
        }
    }
    Ok(())
}

/// The builder's entries in output order.
struct Parts {
    files: Vec<File>,
    units: Vec<Unit>,
    users: Vec<User>,
    warnings: Vec<String>,
}

fn into_parts(b: Builder<'_>) -> Parts {
    let users = b
        .spec
        .users
        .iter()
        .map(|u| User {
            name: u.name.clone(),
            ssh_authorized_keys: u.ssh_authorized_keys.clone(),
            groups: u.groups.clone(),
            gecos: u.gecos.clone(),
            home_dir: u.home_dir.clone(),
            shell: u.shell.clone(),
            primary_group: u.primary_group.clone(),
            password_hash: u.password_hash.as_ref().map(|h| h.expose().clone()),
        })
        .collect();
    let units = b
        .units
        .into_values()
        .map(|mut u| {
            u.dropins.sort_by(|x, y| x.name.cmp(&y.name));
            u
        })
        .collect();
    Parts { files: b.files.into_values().map(|(f, _)| f).collect(), units, users, warnings: b.warnings }
}

/// Names of what the renderer generated, to warn when a merged config
/// changes them.
struct Generated {
    files: BTreeSet<String>,
    units: BTreeSet<String>,
    dropins: BTreeSet<(String, String)>,
    users: BTreeSet<String>,
}

impl Generated {
    fn of(b: &Builder<'_>) -> Self {
        Generated {
            files: b
                .files
                .iter()
                .filter(|(_, (_, origin))| !origin.starts_with("files["))
                .map(|(p, _)| p.clone())
                .collect(),
            units: b.units.keys().cloned().collect(),
            dropins: b
                .units
                .values()
                .flat_map(|u| u.dropins.iter().map(|d| (u.name.clone(), d.name.clone())))
                .collect(),
            users: b.spec.users.iter().map(|u| u.name.clone()).collect(),
        }
    }

    fn warn_about(&self, index: usize, child: &Value, warnings: &mut Vec<String>) {
        let who = format!("additional_ignition[{index}]");
        let entries = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
        let name_of = |v: &Value, field: &str| v.get(field).and_then(Value::as_str).unwrap_or("").to_owned();
        let storage = child.get("storage");
        for (list, kind) in [("files", None), ("directories", Some("a directory")), ("links", Some("a link"))] {
            for entry in entries(storage.and_then(|s| s.get(list))) {
                let path = name_of(&entry, "path");
                if self.files.contains(&path) {
                    warnings.push(match kind {
                        None => format!(
                            "{who} changes the generated file {path}: the fields it sets replace the rendered ones"
                        ),
                        Some(kind) => format!("{who} replaces the generated file {path} with {kind}"),
                    });
                }
            }
        }
        for unit in entries(child.pointer("/systemd/units")) {
            let name = name_of(&unit, "name");
            if !self.units.contains(&name) {
                continue;
            }
            if ["contents", "enabled", "mask"].iter().any(|f| unit.get(*f).is_some_and(|v| !v.is_null())) {
                warnings.push(format!("{who} changes the generated unit {name}"));
            }
            for dropin in entries(unit.get("dropins")) {
                let dropin = name_of(&dropin, "name");
                if self.dropins.contains(&(name.clone(), dropin.clone())) {
                    warnings.push(format!("{who} changes the generated drop-in {dropin} of {name}"));
                }
            }
        }
        for user in entries(child.pointer("/passwd/users")) {
            let name = name_of(&user, "name");
            if self.users.contains(&name) {
                warnings.push(format!("{who} changes the account {name} from users: its fields are merged in"));
            }
        }
        if child.pointer("/ignition/config/merge").and_then(Value::as_array).is_some_and(|m| !m.is_empty()) {
            warnings.push(format!(
                "{who} lists configs in ignition.config.merge: the node fetches them at boot and merges them over \
                 the whole rendered config, after every additional_ignition entry"
            ));
        }
    }
}

/// Parses one `additional_ignition` entry and checks its version and schema.
fn parse_additional(index: usize, text: &str, emitted: IgnitionVersion) -> Result<Value, IgnitionError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| IgnitionError::AdditionalNotJson { index, reason: e.to_string() })?;
    if !value.is_object() {
        return Err(IgnitionError::AdditionalNotJson { index, reason: "expected a JSON object".into() });
    }
    let bad = |found: String| IgnitionError::AdditionalVersion { index, found, max: emitted.as_str() };
    let version = match value.pointer("/ignition/version") {
        Some(Value::String(v)) => v.clone(),
        Some(_) => return Err(bad("an ignition.version that is not a string".into())),
        None => return Err(bad("no ignition.version".into())),
    };
    let child_minor = version
        .strip_prefix("3.")
        .and_then(|rest| rest.strip_suffix(".0"))
        .and_then(|m| m.parse::<u8>().ok())
        .filter(|m| *m <= minor(emitted) && version == format!("3.{m}.0"))
        .ok_or_else(|| bad(format!("version {version:?}")))?;
    merge::check(&value, child_minor, index)?;
    Ok(value)
}
