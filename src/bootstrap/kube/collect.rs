//! Collecting a cluster's Cluster API objects into one manifests string per
//! Machine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use super::*;
use crate::bootstrap::secret::Sensitive;

/// The Cluster API core group (Cluster, Machine, MachineDeployment).
pub const CLUSTER_GROUP: &str = "cluster.x-k8s.io";
/// The kubeadm bootstrap provider's group (KubeadmConfig, KubeadmConfigTemplate).
pub const BOOTSTRAP_GROUP: &str = "bootstrap.cluster.x-k8s.io";
/// The kubeadm control-plane provider's group (KubeadmControlPlane).
pub const CONTROLPLANE_GROUP: &str = "controlplane.cluster.x-k8s.io";
/// The label Cluster API puts on every object of a cluster.
pub const CLUSTER_NAME_LABEL: &str = "cluster.x-k8s.io/cluster-name";
/// The label Cluster API puts on the Machines of a MachineDeployment.
pub const DEPLOYMENT_NAME_LABEL: &str = "cluster.x-k8s.io/deployment-name";
/// The label Cluster API puts on the Machines of a control plane.
pub const CONTROL_PLANE_NAME_LABEL: &str = "cluster.x-k8s.io/control-plane-name";

/// What [`read_cluster`] returns.
#[derive(Debug, Default)]
pub struct ClusterObjects {
    /// Machine name → YAML of the Cluster, its KubeadmControlPlane, the
    /// Machine's MachineDeployment (workers), the Machine and its
    /// KubeadmConfig. Workers carry the control plane too: Cluster API renders
    /// their file templates with its version (`.controlPlane.version`).
    pub manifests: BTreeMap<String, String>,
    /// MachineDeployment name → YAML of the Cluster, its KubeadmControlPlane,
    /// the MachineDeployment and its KubeadmConfigTemplate.
    pub machine_deployments: BTreeMap<String, String>,
    /// YAML of the Cluster and its KubeadmControlPlane, when it has one.
    pub control_plane: Option<String>,
    /// Secret name → key → decoded value, for the secrets the configs reference.
    pub secrets: BTreeMap<String, BTreeMap<String, Sensitive<String>>>,
    pub warnings: Vec<String>,
}

/// Percent-encodes a URL path segment or query value.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn str_at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn name_of(v: &Json) -> &str {
    str_at(v, &["metadata", "name"]).unwrap_or("")
}

/// A group's preferred version, `None` when the group does not exist.
fn preferred_version(api: &dyn Api, group: &str) -> Result<Option<String>, KubeError> {
    let path = format!("/apis/{group}");
    let access = Access { verb: "get", resource: path.clone(), namespace: None };
    let Some(doc) = api.get(&path, &access)? else { return Ok(None) };
    let gv = str_at(&doc, &["preferredVersion", "groupVersion"]).or_else(|| {
        doc.get("versions").and_then(|v| v.get(0)).and_then(|v| v.get("groupVersion")).and_then(Json::as_str)
    });
    let version = gv.and_then(|gv| gv.strip_prefix(&format!("{group}/"))).unwrap_or("");
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(KubeError::Invalid {
            host: api.host().to_string(),
            path,
            reason: format!("it is not an APIGroup of {group} with a preferred version"),
        });
    }
    Ok(Some(version.to_string()))
}

/// A served API group.
struct Group {
    name: &'static str,
    version: String,
}

impl Group {
    fn api_version(&self) -> String {
        format!("{}/{}", self.name, self.version)
    }

    fn collection(&self, namespace: &str, plural: &str) -> String {
        format!("/apis/{}/{}/namespaces/{}/{plural}", self.name, self.version, enc(namespace))
    }

    fn access(&self, verb: &'static str, plural: &str, namespace: &str) -> Access {
        Access { verb, resource: format!("{plural}.{}", self.name), namespace: Some(namespace.to_string()) }
    }

    /// Lists the objects of one cluster, by name, with apiVersion and kind set.
    fn list(
        &self,
        api: &dyn Api,
        namespace: &str,
        plural: &str,
        cluster: &str,
    ) -> Result<BTreeMap<String, Json>, KubeError> {
        let selector = format!("{CLUSTER_NAME_LABEL}={cluster}");
        let path = format!("{}?labelSelector={}", self.collection(namespace, plural), enc(&selector));
        let doc = api.get(&path, &self.access("list", plural, namespace))?.ok_or_else(|| KubeError::Invalid {
            host: api.host().to_string(),
            path: path.clone(),
            reason: format!("{plural} are not served (404) although the API group is"),
        })?;
        let list_kind = doc.get("kind").and_then(Json::as_str).unwrap_or("");
        let kind = list_kind.strip_suffix("List").unwrap_or(list_kind).to_string();
        let api_version =
            doc.get("apiVersion").and_then(Json::as_str).map_or_else(|| self.api_version(), str::to_string);
        let items = doc.get("items").and_then(Json::as_array).cloned().unwrap_or_default();
        let mut out = BTreeMap::new();
        for mut item in items {
            // Servers that ignore the selector must not leak other clusters' objects.
            if str_at(&item, &["metadata", "labels", CLUSTER_NAME_LABEL]) != Some(cluster) {
                continue;
            }
            if let Some(obj) = item.as_object_mut() {
                if !obj.contains_key("apiVersion") {
                    obj.insert("apiVersion".to_string(), Json::String(api_version.clone()));
                }
                if !obj.contains_key("kind") && !kind.is_empty() {
                    obj.insert("kind".to_string(), Json::String(kind.clone()));
                }
            }
            let name = name_of(&item).to_string();
            if !name.is_empty() {
                out.insert(name, item);
            }
        }
        Ok(out)
    }

    /// Gets one object by name; `None` when it does not exist.
    fn get(&self, api: &dyn Api, namespace: &str, plural: &str, name: &str) -> Result<Option<Json>, KubeError> {
        let path = format!("{}/{}", self.collection(namespace, plural), enc(name));
        api.get(&path, &self.access("get", plural, namespace))
    }
}

/// A reference to a KubeadmConfig or KubeadmConfigTemplate, from
/// `bootstrap.configRef` (v1beta1 `apiVersion`, v1beta2 `apiGroup`).
fn config_ref<'a>(bootstrap: Option<&'a Json>, want_kind: &str) -> Result<&'a str, String> {
    let Some(r) = bootstrap.and_then(|b| b.get("configRef")).filter(|r| r.is_object()) else {
        return Err("has no bootstrap.configRef".to_string());
    };
    let kind = r.get("kind").and_then(Json::as_str).unwrap_or("");
    let group = r
        .get("apiGroup")
        .and_then(Json::as_str)
        .or_else(|| r.get("apiVersion").and_then(Json::as_str).map(|v| v.split('/').next().unwrap_or("")))
        .unwrap_or(BOOTSTRAP_GROUP);
    if kind != want_kind || group != BOOTSTRAP_GROUP {
        return Err(format!("uses a {kind} of {group}, not a {want_kind}, as its bootstrap config"));
    }
    match r.get("name").and_then(Json::as_str) {
        Some(n) if !n.is_empty() => Ok(n),
        _ => Err("has a bootstrap.configRef without a name".to_string()),
    }
}

/// The Secret name under which `secrets` returns password hashes that
/// bootstrap configs hold inline (`users[].passwd`); the configs refer to
/// them with `passwdFrom`, so the hashes stay out of `manifests`.
pub const INLINE_PASSWORDS: &str = "kubeadm-capi-manifests.inline-passwords";

/// Password hashes moved out of the manifests: key → hash.
pub(super) type Inline = std::cell::RefCell<BTreeMap<String, Sensitive<String>>>;

/// Removes what changes with every write and means nothing to a reader,
/// and the bootstrap tokens Cluster API writes into bootstrap configs (the
/// workload cluster's join secrets; compat mode uses its own token anyway).
/// Inline password hashes move to [`INLINE_PASSWORDS`].
pub(super) fn clean(mut obj: Json, inline: &Inline) -> Json {
    if let Some(meta) = obj.get_mut("metadata").and_then(Json::as_object_mut) {
        meta.remove("managedFields");
    }
    drop_tokens(&mut obj);
    let owner = name_of(&obj).to_string();
    move_passwords(&mut obj, &owner, inline);
    obj
}

/// Replaces `users[].passwd` with a `passwdFrom` reference to [`INLINE_PASSWORDS`].
fn move_passwords(v: &mut Json, owner: &str, inline: &Inline) {
    match v {
        Json::Object(m) => {
            if let Some(Json::Array(users)) = m.get_mut("users") {
                for user in users.iter_mut().filter_map(Json::as_object_mut) {
                    let Some(Json::String(hash)) = user.get("passwd").cloned() else { continue };
                    let name = user.get("name").and_then(Json::as_str).unwrap_or_default().to_string();
                    let key = format!("{owner}.{name}");
                    user.remove("passwd");
                    user.insert(
                        "passwdFrom".into(),
                        serde_json::json!({ "secret": { "name": INLINE_PASSWORDS, "key": key } }),
                    );
                    inline.borrow_mut().insert(key, Sensitive::new(hash));
                }
            }
            m.values_mut().for_each(|x| move_passwords(x, owner, inline));
        }
        Json::Array(a) => a.iter_mut().for_each(|x| move_passwords(x, owner, inline)),
        _ => {}
    }
}

pub(super) fn drop_tokens(v: &mut Json) {
    match v {
        Json::Object(m) => {
            m.remove("tlsBootstrapToken");
            if let Some(Json::Object(bt)) = m.get_mut("bootstrapToken") {
                bt.remove("token");
            }
            if let Some(Json::Array(tokens)) = m.get_mut("bootstrapTokens") {
                for t in tokens.iter_mut().filter_map(Json::as_object_mut) {
                    t.remove("token");
                }
            }
            m.values_mut().for_each(drop_tokens);
        }
        Json::Array(a) => a.iter_mut().for_each(drop_tokens),
        _ => {}
    }
}

/// The same value with every object's keys sorted.
fn sorted(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            Json::Object(out)
        }
        Json::Array(a) => Json::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Multi-document YAML of `docs`, in order, keys sorted.
pub fn to_yaml(docs: &[&Json]) -> String {
    docs.iter().map(|d| serde_yaml_ng::to_string(&sorted(d)).unwrap_or_default()).collect::<Vec<_>>().join("---\n")
}

/// Secret references of a `KubeadmConfigSpec` (`files[].contentFrom.secret`,
/// `users[].passwdFrom.secret`).
fn secret_refs(spec: Option<&Json>, out: &mut BTreeMap<String, BTreeSet<String>>) {
    let Some(spec) = spec else { return };
    let refs = [("files", "contentFrom"), ("users", "passwdFrom")];
    for (list, from) in refs {
        for item in spec.get(list).and_then(Json::as_array).into_iter().flatten() {
            let secret = item.get(from).and_then(|f| f.get("secret"));
            if let (Some(name), Some(key)) = (
                secret.and_then(|s| s.get("name")).and_then(Json::as_str),
                secret.and_then(|s| s.get("key")).and_then(Json::as_str),
            ) {
                if !name.is_empty() && !key.is_empty() {
                    out.entry(name.to_string()).or_default().insert(key.to_string());
                }
            }
        }
    }
}

/// Reads the Cluster API objects of cluster `namespace/cluster_name`.
pub fn read_cluster(api: &dyn Api, namespace: &str, cluster_name: &str) -> Result<ClusterObjects, KubeError> {
    let host = api.host().to_string();
    let mut warnings = Vec::new();
    let inline = Inline::default();
    let required = |name: &'static str| -> Result<Group, KubeError> {
        match preferred_version(api, name)? {
            Some(version) => Ok(Group { name, version }),
            None => Err(KubeError::NotInstalled { host: host.clone(), group: name.to_string() }),
        }
    };
    let core = required(CLUSTER_GROUP)?;
    let bootstrap = required(BOOTSTRAP_GROUP)?;
    // Without the control-plane provider there is simply no KubeadmControlPlane.
    let controlplane =
        preferred_version(api, CONTROLPLANE_GROUP)?.map(|version| Group { name: CONTROLPLANE_GROUP, version });

    let mut cluster =
        core.get(api, namespace, "clusters", cluster_name)?.ok_or_else(|| KubeError::ClusterNotFound {
            host: host.clone(),
            namespace: namespace.to_string(),
            name: cluster_name.to_string(),
        })?;
    if let Some(obj) = cluster.as_object_mut() {
        obj.entry("apiVersion").or_insert_with(|| Json::String(core.api_version()));
        obj.entry("kind").or_insert_with(|| Json::String("Cluster".to_string()));
    }
    let cluster = clean(cluster, &inline);

    let machines = core.list(api, namespace, "machines", cluster_name)?;
    let deployments = core.list(api, namespace, "machinedeployments", cluster_name)?;
    let kcps = match &controlplane {
        Some(cp) => cp.list(api, namespace, "kubeadmcontrolplanes", cluster_name)?,
        None => BTreeMap::new(),
    };
    let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let with_kind = |mut obj: Json, kind: &str| {
        if let Some(o) = obj.as_object_mut() {
            o.entry("apiVersion").or_insert_with(|| Json::String(bootstrap.api_version()));
            o.entry("kind").or_insert_with(|| Json::String(kind.to_string()));
        }
        clean(obj, &inline)
    };

    // The control plane the Cluster names, else the only one there is.
    let cp_ref = cluster.get("spec").and_then(|s| s.get("controlPlaneRef"));
    let control_plane_name: Option<String> = match cp_ref {
        Some(r) if r.is_object() => (r.get("kind").and_then(Json::as_str) == Some("KubeadmControlPlane"))
            .then(|| r.get("name").and_then(Json::as_str).map(str::to_string))
            .flatten(),
        _ if kcps.len() == 1 => kcps.keys().next().cloned(),
        _ => None,
    };
    let kcps: BTreeMap<String, Json> = kcps.into_iter().map(|(k, v)| (k, clean(v, &inline))).collect();
    for kcp in kcps.values() {
        secret_refs(kcp.get("spec").and_then(|s| s.get("kubeadmConfigSpec")), &mut refs);
    }
    let cluster_kcp: Option<&Json> = control_plane_name.as_ref().and_then(|n| kcps.get(n));
    let control_plane = cluster_kcp.map(|kcp| to_yaml(&[&cluster, kcp]));
    if let Some(name) = &control_plane_name {
        if !kcps.contains_key(name) {
            warnings.push(format!(
                "Cluster {namespace}/{cluster_name} names KubeadmControlPlane {name}, which was not found: control_plane is null."
            ));
        }
    }

    let mut machine_deployments = BTreeMap::new();
    let mut deployments_clean = BTreeMap::new();
    for (name, md) in deployments {
        let md = clean(md, &inline);
        let template_ref = config_ref(
            md.get("spec").and_then(|s| s.get("template")).and_then(|t| t.get("spec")).and_then(|s| s.get("bootstrap")),
            "KubeadmConfigTemplate",
        );
        let template = match template_ref {
            Ok(t) => match bootstrap.get(api, namespace, "kubeadmconfigtemplates", t)? {
                Some(t) => Some(with_kind(t, "KubeadmConfigTemplate")),
                None => {
                    warnings.push(format!(
                        "KubeadmConfigTemplate {namespace}/{t} of MachineDeployment {name} was not found: its entry holds no bootstrap config."
                    ));
                    None
                }
            },
            Err(why) => {
                warnings
                    .push(format!("MachineDeployment {namespace}/{name} {why}: its entry holds no bootstrap config."));
                None
            }
        };
        if let Some(t) = &template {
            secret_refs(t.get("spec").and_then(|s| s.get("template")).and_then(|t| t.get("spec")), &mut refs);
        }
        let mut docs = vec![&cluster];
        docs.extend(cluster_kcp);
        docs.push(&md);
        docs.extend(template.as_ref());
        machine_deployments.insert(name.clone(), to_yaml(&docs));
        deployments_clean.insert(name, md);
    }

    let mut manifests = BTreeMap::new();
    for (name, machine) in machines {
        let machine = clean(machine, &inline);
        let owner_kcp = machine
            .get("metadata")
            .and_then(|m| m.get("ownerReferences"))
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .find(|o| o.get("kind").and_then(Json::as_str) == Some("KubeadmControlPlane"))
            .and_then(|o| o.get("name").and_then(Json::as_str))
            .or_else(|| str_at(&machine, &["metadata", "labels", CONTROL_PLANE_NAME_LABEL]));
        let owner: Option<&Json> = if let Some(kcp) = owner_kcp {
            let found = kcps.get(kcp);
            if found.is_none() {
                warnings.push(format!(
                    "Machine {namespace}/{name} belongs to KubeadmControlPlane {kcp}, which was not found: its entry holds no control plane."
                ));
            }
            found
        } else if let Some(md) = str_at(&machine, &["metadata", "labels", DEPLOYMENT_NAME_LABEL]) {
            let found = deployments_clean.get(md);
            if found.is_none() {
                warnings.push(format!(
                    "Machine {namespace}/{name} belongs to MachineDeployment {md}, which was not found: its entry holds no MachineDeployment."
                ));
            }
            found
        } else {
            None
        };
        let config = match config_ref(machine.get("spec").and_then(|s| s.get("bootstrap")), "KubeadmConfig") {
            Ok(c) => match bootstrap.get(api, namespace, "kubeadmconfigs", c)? {
                Some(c) => Some(with_kind(c, "KubeadmConfig")),
                None => {
                    warnings.push(format!(
                        "KubeadmConfig {namespace}/{c} of Machine {name} was not found: its entry holds no bootstrap config."
                    ));
                    None
                }
            },
            Err(why) => {
                warnings.push(format!("Machine {namespace}/{name} {why}: its entry holds no bootstrap config."));
                None
            }
        };
        if let Some(c) = &config {
            secret_refs(c.get("spec"), &mut refs);
        }
        let mut docs = vec![&cluster];
        // A worker's entry holds the Cluster's control plane as well.
        if owner_kcp.is_none() {
            docs.extend(cluster_kcp);
        }
        docs.extend(owner);
        docs.push(&machine);
        docs.extend(config.as_ref());
        manifests.insert(name, to_yaml(&docs));
    }

    refs.remove(INLINE_PASSWORDS);
    let mut secrets = read_secrets(api, namespace, &refs, &mut warnings);
    let inline = inline.into_inner();
    if !inline.is_empty() {
        secrets.entry(INLINE_PASSWORDS.to_string()).or_default().extend(inline);
    }
    Ok(ClusterObjects { manifests, machine_deployments, control_plane, secrets, warnings })
}

/// Reads the referenced keys of each secret; problems are warnings.
fn read_secrets(
    api: &dyn Api,
    namespace: &str,
    refs: &BTreeMap<String, BTreeSet<String>>,
    warnings: &mut Vec<String>,
) -> BTreeMap<String, BTreeMap<String, Sensitive<String>>> {
    let mut out = BTreeMap::new();
    for (name, keys) in refs {
        let path = format!("/api/v1/namespaces/{}/secrets/{}", enc(namespace), enc(name));
        let access = Access { verb: "get", resource: "secrets".to_string(), namespace: Some(namespace.to_string()) };
        let secret = match api.get(&path, &access) {
            Ok(Some(s)) => s,
            Ok(None) => {
                warnings.push(format!("Secret {namespace}/{name}, referenced by a bootstrap config, was not found: secrets has no entry for it."));
                continue;
            }
            Err(e) => {
                let grant = match &e {
                    KubeError::Forbidden { .. } => format!(" Grant the identity get on secrets (the core API group) in namespace {namespace} to have its values."),
                    _ => String::new(),
                };
                warnings.push(format!("Secret {namespace}/{name}, referenced by a bootstrap config, cannot be read: {e}. secrets has no entry for it.{grant}"));
                continue;
            }
        };
        let mut values = BTreeMap::new();
        for key in keys {
            let Some(encoded) = secret.get("data").and_then(|d| d.get(key)).and_then(Json::as_str) else {
                warnings.push(format!(
                    "Secret {namespace}/{name} has no key {key:?}, which a bootstrap config references."
                ));
                continue;
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded {
                Some(v) => {
                    values.insert(key.clone(), Sensitive::new(v));
                }
                None => warnings.push(format!(
                    "Key {key:?} of Secret {namespace}/{name} is not base64-encoded UTF-8 text: secrets leaves it out."
                )),
            }
        }
        if !values.is_empty() {
            out.insert(name.clone(), values);
        }
    }
    out
}

/// Resolves the settings, connects and reads the cluster: the whole read,
/// blocking. Warnings from resolving come first.
pub fn fetch(settings: &Settings, namespace: &str, cluster_name: &str) -> Result<ClusterObjects, KubeError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let resolved = resolve(settings, home.as_deref())?;
    let client = Client::new(&resolved.connection)?;
    let mut objects = read_cluster(&client, namespace, cluster_name)?;
    let mut warnings = resolved.warnings;
    warnings.append(&mut objects.warnings);
    objects.warnings = warnings;
    Ok(objects)
}

/// Checks a namespace name (an RFC 1123 label).
pub fn check_namespace(ns: &str) -> Result<(), String> {
    let ok = !ns.is_empty()
        && ns.len() <= 63
        && ns.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !ns.starts_with('-')
        && !ns.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!("{ns:?} is not a namespace name: up to 63 lower-case letters, digits and '-', starting and ending with a letter or digit"))
    }
}

/// Checks a cluster name (an object name that is also a label value).
pub fn check_cluster_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && name.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric);
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is not a Cluster name: up to 63 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"))
    }
}
