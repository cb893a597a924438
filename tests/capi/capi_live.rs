//! Acceptance tests of `data "kubeadm_capi_manifests"` against every
//! Terraform found, with a Kubernetes API server the test runs in process:
//! HTTPS with certificates made here (a CA, a server certificate for
//! 127.0.0.1, a client certificate), client-certificate and bearer-token
//! authentication, a token that may not read KubeadmConfigs, label selectors,
//! API discovery, and Cluster API objects of two clusters from fixtures.

use crate::support;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value as Json};
use support::{config, run_case, terraforms, Step, WorkDir};

const ADMIN_TOKEN: &str = "admin-token-0123456789";
const LIMITED_TOKEN: &str = "limited-token-0123456789";
const NO_SECRETS_TOKEN: &str = "nosecrets-token-0123456789";
const ADDR: &str = "data.kubeadm_capi_manifests.prod";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

// ---------------------------------------------------------------------------
// Certificates

struct Issued {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

struct Ca {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("self-signed CA");
        Ca { pem: cert.pem(), issuer: rcgen::Issuer::new(params, key) }
    }

    fn issue(&self, cn: &str, server: bool) -> Issued {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("leaf key");
        let sans = if server { vec!["127.0.0.1".to_string(), "localhost".to_string()] } else { Vec::new() };
        let mut params = rcgen::CertificateParams::new(sans).expect("leaf params");
        params.distinguished_name.push(rcgen::DnType::CommonName, cn);
        params.extended_key_usages = vec![if server {
            rcgen::ExtendedKeyUsagePurpose::ServerAuth
        } else {
            rcgen::ExtendedKeyUsagePurpose::ClientAuth
        }];
        let cert = params.signed_by(&key, &self.issuer).expect("sign leaf");
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }
}

struct Pki {
    ca: Ca,
    server: Issued,
    client: Issued,
    /// A server certificate from a CA the clients do not trust.
    rogue_server: Issued,
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let ca = Ca::new("test-kubernetes-ca");
        let server = ca.issue("kube-apiserver", true);
        let client = ca.issue("admin", false);
        let rogue_server = Ca::new("someone-else").issue("kube-apiserver", true);
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("ca.crt"), &ca.pem).expect("write ca.crt");
        Pki { ca, server, client, rogue_server, dir }
    }

    fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// A kubeconfig with two contexts: the current one points at a closed
    /// port, `admin@prod` at `port` with the client certificate. The CA is
    /// a file path relative to the kubeconfig, the client pair inline.
    fn kubeconfig(&self, port: u16) -> PathBuf {
        let text = format!(
            r#"apiVersion: v1
kind: Config
current-context: broken
clusters:
- name: prod
  cluster:
    server: https://127.0.0.1:{port}
    certificate-authority: ca.crt
- name: broken
  cluster:
    server: https://127.0.0.1:1
contexts:
- name: admin@prod
  context:
    cluster: prod
    user: admin
- name: broken
  context:
    cluster: broken
    user: admin
users:
- name: admin
  user:
    client-certificate-data: {}
    client-key-data: {}
"#,
            b64(&self.client.cert_pem),
            b64(&self.client.key_pem)
        );
        let path = self.dir.path().join(format!("kubeconfig-{port}"));
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }
}

// ---------------------------------------------------------------------------
// Fixtures

fn meta(name: &str, cluster: &str, extra_labels: Json) -> Json {
    let mut labels = json!({ "cluster.x-k8s.io/cluster-name": cluster });
    if let (Some(l), Some(extra)) = (labels.as_object_mut(), extra_labels.as_object()) {
        l.extend(extra.clone());
    }
    json!({
        "name": name,
        "namespace": "default",
        "uid": format!("uid-{name}"),
        "resourceVersion": "4242",
        "labels": labels,
        "managedFields": [{"manager": "capi-controller-manager", "operation": "Update", "time": "2026-01-01T00:00:00Z"}]
    })
}

/// `(plural, name)` → object, as the server stores them.
fn fixtures() -> BTreeMap<(String, String), Json> {
    let mut o = BTreeMap::new();
    let mut put = |plural: &str, obj: Json| {
        let name = obj["metadata"]["name"].as_str().expect("fixture name").to_string();
        o.insert((plural.to_string(), name), obj);
    };
    for cluster in ["prod", "staging"] {
        put(
            "clusters",
            json!({
                "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
                "metadata": meta(cluster, cluster, json!({})),
                "spec": {
                    "clusterNetwork": {"pods": {"cidrBlocks": ["192.168.0.0/16"]}, "services": {"cidrBlocks": ["10.96.0.0/12"]}},
                    "controlPlaneEndpoint": {"host": format!("api.{cluster}.example.com"), "port": 6443},
                    "controlPlaneRef": {"apiVersion": "controlplane.cluster.x-k8s.io/v1beta1", "kind": "KubeadmControlPlane", "name": format!("{cluster}-cp"), "namespace": "default"},
                    "infrastructureRef": {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "AWSCluster", "name": cluster}
                },
                "status": {"controlPlaneReady": true, "infrastructureReady": true, "phase": "Provisioned"}
            }),
        );
        put(
            "kubeadmcontrolplanes",
            json!({
                "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1", "kind": "KubeadmControlPlane",
                "metadata": meta(&format!("{cluster}-cp"), cluster, json!({})),
                "spec": {
                    "replicas": 2, "version": "v1.31.4",
                    "kubeadmConfigSpec": {
                        "clusterConfiguration": {"apiServer": {"extraArgs": {"audit-policy-file": "/etc/kubernetes/audit.yaml"}}},
                        "files": [{"path": "/etc/kubernetes/audit.yaml", "contentFrom": {"secret": {"name": format!("{cluster}-files"), "key": "audit.yaml"}}}]
                    },
                    "machineTemplate": {"infrastructureRef": {"kind": "AWSMachineTemplate", "name": format!("{cluster}-cp")}}
                },
                "status": {"initialized": true, "readyReplicas": 2}
            }),
        );
        put(
            "machinedeployments",
            json!({
                "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "MachineDeployment",
                "metadata": meta(&format!("{cluster}-md-0"), cluster, json!({})),
                "spec": {
                    "clusterName": cluster, "replicas": 1,
                    "template": {"spec": {
                        "clusterName": cluster, "version": "v1.31.4",
                        "bootstrap": {"configRef": {"apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1", "kind": "KubeadmConfigTemplate", "name": format!("{cluster}-md-0")}},
                        "infrastructureRef": {"kind": "AWSMachineTemplate", "name": format!("{cluster}-md-0")}
                    }}
                }
            }),
        );
        put(
            "kubeadmconfigtemplates",
            json!({
                "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1", "kind": "KubeadmConfigTemplate",
                "metadata": meta(&format!("{cluster}-md-0"), cluster, json!({})),
                "spec": {"template": {"spec": {
                    "joinConfiguration": {"nodeRegistration": {"kubeletExtraArgs": {"node-labels": "pool=md-0"}}},
                    "files": [{"path": "/etc/extra.conf", "contentFrom": {"secret": {"name": format!("{cluster}-files"), "key": "extra.conf"}}}]
                }}}
            }),
        );
        put(
            "secrets",
            json!({
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": format!("{cluster}-files"), "namespace": "default"},
                "data": {
                    "audit.yaml": b64(&format!("apiVersion: audit.k8s.io/v1\nkind: Policy # {cluster}\n")),
                    "extra.conf": b64(&format!("extra for {cluster}\n")),
                    "unreferenced": b64("never returned")
                }
            }),
        );
    }
    let machines: [(&str, &str, bool); 4] = [
        ("prod-cp-abc12", "prod", true),
        ("prod-cp-def34", "prod", true),
        ("prod-md-0-7d9f-x2k4p", "prod", false),
        ("staging-cp-zzz99", "staging", true),
    ];
    for (name, cluster, control_plane) in machines {
        let (labels, owner) = if control_plane {
            (
                json!({"cluster.x-k8s.io/control-plane": "", "cluster.x-k8s.io/control-plane-name": format!("{cluster}-cp")}),
                json!({"apiVersion": "controlplane.cluster.x-k8s.io/v1beta1", "kind": "KubeadmControlPlane", "name": format!("{cluster}-cp"), "controller": true}),
            )
        } else {
            (
                json!({"cluster.x-k8s.io/deployment-name": format!("{cluster}-md-0"), "cluster.x-k8s.io/set-name": format!("{cluster}-md-0-7d9f")}),
                json!({"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "MachineSet", "name": format!("{cluster}-md-0-7d9f"), "controller": true}),
            )
        };
        let mut m = meta(name, cluster, labels);
        m["ownerReferences"] = json!([owner]);
        put(
            "machines",
            json!({
                "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Machine",
                "metadata": m,
                "spec": {
                    "clusterName": cluster, "version": "v1.31.4",
                    "bootstrap": {
                        "configRef": {"apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1", "kind": "KubeadmConfig", "name": name, "namespace": "default"},
                        "dataSecretName": name
                    },
                    "infrastructureRef": {"kind": "AWSMachine", "name": name}
                },
                "status": {"phase": "Running"}
            }),
        );
        let spec = if name == "prod-cp-abc12" {
            json!({"initConfiguration": {"nodeRegistration": {"name": "{{ ds.meta_data.local_hostname }}"}}})
        } else if control_plane {
            json!({"joinConfiguration": {"controlPlane": {}, "discovery": {"bootstrapToken": {"apiServerEndpoint": "api:6443"}}}})
        } else {
            json!({
                "joinConfiguration": {"nodeRegistration": {"kubeletExtraArgs": {"node-labels": "pool=md-0"}}},
                "files": [{"path": "/etc/extra.conf", "contentFrom": {"secret": {"name": format!("{cluster}-files"), "key": "extra.conf"}}}]
            })
        };
        put(
            "kubeadmconfigs",
            json!({
                "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1", "kind": "KubeadmConfig",
                "metadata": meta(name, cluster, json!({})),
                "spec": spec,
                "status": {"ready": true, "dataSecretName": name}
            }),
        );
    }
    o
}

// ---------------------------------------------------------------------------
// The API server

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Serves the Cluster API groups and objects.
    Capi,
    /// A plain Kubernetes API without the Cluster API CRDs.
    NoCrds,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Admin,
    Limited,
    NoSecrets,
}

struct Shared {
    mode: Mode,
    objects: BTreeMap<(String, String), Json>,
    /// Every request: (identity, method, path and query).
    log: Mutex<Vec<String>>,
}

fn group_of(plural: &str) -> &'static str {
    match plural {
        "clusters" | "machines" | "machinedeployments" => "cluster.x-k8s.io",
        "kubeadmconfigs" | "kubeadmconfigtemplates" => "bootstrap.cluster.x-k8s.io",
        "kubeadmcontrolplanes" => "controlplane.cluster.x-k8s.io",
        _ => "",
    }
}

fn kind_of(plural: &str) -> &'static str {
    match plural {
        "clusters" => "Cluster",
        "machines" => "Machine",
        "machinedeployments" => "MachineDeployment",
        "kubeadmconfigs" => "KubeadmConfig",
        "kubeadmconfigtemplates" => "KubeadmConfigTemplate",
        "kubeadmcontrolplanes" => "KubeadmControlPlane",
        _ => "Secret",
    }
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response<Full<Bytes>> {
    let body = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason, "code": code.as_u16()});
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = code;
    resp.headers_mut().insert("content-type", "application/json".parse().expect("header"));
    resp
}

fn ok(body: Json) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    resp.headers_mut().insert("content-type", "application/json".parse().expect("header"));
    resp
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn handle(shared: &Shared, client_cert: bool, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    let who = if client_cert {
        Some(Who::Admin)
    } else {
        match auth.strip_prefix("Bearer ") {
            Some(ADMIN_TOKEN) => Some(Who::Admin),
            Some(LIMITED_TOKEN) => Some(Who::Limited),
            Some(NO_SECRETS_TOKEN) => Some(Who::NoSecrets),
            _ => None,
        }
    };
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    shared.log.lock().expect("log").push(format!("{who:?} {} {path}?{query}", req.method()));
    let Some(who) = who else {
        return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
    };
    if req.method() != hyper::Method::GET {
        return status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "read only");
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // Discovery: /apis/<group>
    if let ["apis", group] = parts.as_slice() {
        let served = shared.mode == Mode::Capi
            && ["cluster.x-k8s.io", "bootstrap.cluster.x-k8s.io", "controlplane.cluster.x-k8s.io"].contains(group);
        if !served {
            return status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource");
        }
        let gv = format!("{group}/v1beta1");
        return ok(json!({
            "kind": "APIGroup", "apiVersion": "v1", "name": group,
            "versions": [{"groupVersion": gv, "version": "v1beta1"}],
            "preferredVersion": {"groupVersion": gv, "version": "v1beta1"}
        }));
    }
    let (plural, name) = match parts.as_slice() {
        ["apis", group, "v1beta1", "namespaces", "default", plural]
            if shared.mode == Mode::Capi && group_of(plural) == *group =>
        {
            (plural.to_string(), None)
        }
        ["apis", group, "v1beta1", "namespaces", "default", plural, name]
            if shared.mode == Mode::Capi && group_of(plural) == *group =>
        {
            (plural.to_string(), Some(name.to_string()))
        }
        ["api", "v1", "namespaces", "default", "secrets", name] => ("secrets".to_string(), Some(name.to_string())),
        _ => return status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource"),
    };
    let denied = match who {
        Who::Admin => false,
        Who::Limited => plural == "kubeadmconfigs" || plural == "secrets",
        Who::NoSecrets => plural == "secrets",
    };
    let verb = if name.is_some() { "get" } else { "list" };
    if denied {
        let group = group_of(&plural);
        let object = name.as_deref().map(|n| format!(" {n:?}")).unwrap_or_default();
        let resource = if group.is_empty() { plural.clone() } else { format!("{plural}.{group}") };
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("{resource}{object} is forbidden: User \"limited\" cannot {verb} resource \"{plural}\" in API group \"{group}\" in the namespace \"default\""),
        );
    }
    match name {
        Some(name) => match shared.objects.get(&(plural.clone(), name.clone())) {
            Some(obj) => ok(obj.clone()),
            None => status(StatusCode::NOT_FOUND, "NotFound", &format!("{plural} {name:?} not found")),
        },
        None => {
            let selector = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("labelSelector="))
                .map(percent_decode)
                .unwrap_or_default();
            let wanted = selector.split_once('=');
            let items: Vec<Json> = shared
                .objects
                .iter()
                .filter(|((p, _), _)| *p == plural)
                .map(|(_, obj)| obj)
                .filter(|obj| match wanted {
                    Some((k, v)) => obj["metadata"]["labels"][k].as_str() == Some(v),
                    None => true,
                })
                .map(|obj| {
                    // List items carry neither apiVersion nor kind, as on a real server.
                    let mut item = obj.clone();
                    if let Some(o) = item.as_object_mut() {
                        o.remove("apiVersion");
                        o.remove("kind");
                    }
                    item
                })
                .collect();
            ok(json!({
                "apiVersion": format!("{}/v1beta1", group_of(&plural)),
                "kind": format!("{}List", kind_of(&plural)),
                "metadata": {"resourceVersion": "4242"},
                "items": items
            }))
        }
    }
}

/// An HTTPS Kubernetes API server on a loopback port, stopped on drop.
struct ApiServer {
    port: u16,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiServer {
    fn start(mode: Mode, server: &Issued, client_ca: &Ca) -> ApiServer {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        let ca_der = rustls::pki_types::pem::PemObject::from_pem_slice(client_ca.pem.as_bytes()).expect("CA PEM");
        roots.add(ca_der).expect("add CA");
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .allow_unauthenticated()
            .build()
            .expect("client verifier");
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![server.der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key_der.clone())),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().map(|a: SocketAddr| a.port()).expect("port");
        let shared = Arc::new(Shared { mode, objects: fixtures(), log: Mutex::new(Vec::new()) });
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else { continue };
                            let acceptor = acceptor.clone();
                            let state = state.clone();
                            tokio::spawn(async move {
                                let Ok(tls) = acceptor.accept(tcp).await else { return };
                                let client_cert = tls.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                                    let state = state.clone();
                                    async move { Ok::<_, Infallible>(handle(&state, client_cert, &req)) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        ApiServer { port, shared, stop: Some(stop), thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> Vec<String> {
        self.shared.log.lock().expect("log").clone()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------
// Checks

fn direct(server: &ApiServer, pki: &Pki, token: &str, cluster: &str) -> String {
    config(&format!(
        r#"
data "kubeadm_capi_manifests" "prod" {{
  host                   = "{}"
  token                  = "{token}"
  cluster_ca_certificate = file("{}")
  namespace              = "default"
  cluster_name           = "{cluster}"
}}
"#,
        server.url(),
        pki.ca_path().display()
    ))
}

/// The documents of a manifests string: (kind, name) in order, and the objects.
fn documents(yaml: &str) -> Result<Vec<Json>, String> {
    yaml.split("---\n")
        .map(|d| serde_yaml_ng::from_str::<Json>(d).map_err(|e| format!("not YAML: {e}\n{yaml}")))
        .collect()
}

fn kinds(docs: &[Json]) -> Vec<String> {
    docs.iter()
        .map(|d| format!("{}/{}", d["kind"].as_str().unwrap_or("?"), d["metadata"]["name"].as_str().unwrap_or("?")))
        .collect()
}

fn check_prod(s: &support::State) -> Result<(), String> {
    if s.attr(ADDR, "id") != "default/prod" {
        return Err(format!("id is {}", s.attr(ADDR, "id")));
    }
    if s.attr(ADDR, "namespace") != "default" {
        return Err(format!("namespace is {}", s.attr(ADDR, "namespace")));
    }
    let manifests = s.attr(ADDR, "manifests");
    let keys: Vec<&String> = manifests.as_object().map(|m| m.keys().collect()).unwrap_or_default();
    if keys != ["prod-cp-abc12", "prod-cp-def34", "prod-md-0-7d9f-x2k4p"] {
        return Err(format!("manifests keys are {keys:?}"));
    }
    // A worker's entry carries the Cluster's KubeadmControlPlane too (its
    // file templates may read the control plane's version).
    let expected: [(&str, &[&str]); 3] = [
        (
            "prod-cp-abc12",
            &["Cluster/prod", "KubeadmControlPlane/prod-cp", "Machine/prod-cp-abc12", "KubeadmConfig/prod-cp-abc12"],
        ),
        (
            "prod-cp-def34",
            &["Cluster/prod", "KubeadmControlPlane/prod-cp", "Machine/prod-cp-def34", "KubeadmConfig/prod-cp-def34"],
        ),
        (
            "prod-md-0-7d9f-x2k4p",
            &[
                "Cluster/prod",
                "KubeadmControlPlane/prod-cp",
                "MachineDeployment/prod-md-0",
                "Machine/prod-md-0-7d9f-x2k4p",
                "KubeadmConfig/prod-md-0-7d9f-x2k4p",
            ],
        ),
    ];
    for (machine, want) in expected {
        let yaml = manifests[machine].as_str().ok_or(format!("manifests[{machine}] is not a string"))?;
        let docs = documents(yaml)?;
        if kinds(&docs) != want {
            return Err(format!("manifests[{machine}] holds {:?}", kinds(&docs)));
        }
        if yaml.contains("managedFields") || yaml.contains("staging") {
            return Err(format!("manifests[{machine}] holds managedFields or the other cluster:\n{yaml}"));
        }
        // Items of lists get apiVersion and kind back; the Cluster keeps its status.
        let (machine_doc, config_doc) = (&docs[docs.len() - 2], &docs[docs.len() - 1]);
        if machine_doc["apiVersion"] != "cluster.x-k8s.io/v1beta1"
            || config_doc["apiVersion"] != "bootstrap.cluster.x-k8s.io/v1beta1"
        {
            return Err(format!("apiVersions: {} / {}", machine_doc["apiVersion"], config_doc["apiVersion"]));
        }
        if docs[0]["status"]["controlPlaneReady"] != true || docs[0]["spec"]["controlPlaneEndpoint"]["port"] != 6443 {
            return Err(format!("the Cluster lost its status or spec: {}", docs[0]));
        }
        if machine_doc["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"] != "prod" {
            return Err(format!("the Machine's labels: {}", machine_doc["metadata"]));
        }
    }
    let init = documents(manifests["prod-cp-abc12"].as_str().unwrap_or(""))?;
    if init[3]["spec"]["initConfiguration"]["nodeRegistration"]["name"] != "{{ ds.meta_data.local_hostname }}" {
        return Err(format!("the init KubeadmConfig: {}", init[3]));
    }
    let mds = s.attr(ADDR, "machine_deployments");
    let md_keys: Vec<&String> = mds.as_object().map(|m| m.keys().collect()).unwrap_or_default();
    if md_keys != ["prod-md-0"] {
        return Err(format!("machine_deployments keys are {md_keys:?}"));
    }
    let md = documents(mds["prod-md-0"].as_str().unwrap_or(""))?;
    if kinds(&md)
        != [
            "Cluster/prod",
            "KubeadmControlPlane/prod-cp",
            "MachineDeployment/prod-md-0",
            "KubeadmConfigTemplate/prod-md-0",
        ]
    {
        return Err(format!("machine_deployments[prod-md-0] holds {:?}", kinds(&md)));
    }
    let cp = documents(s.attr(ADDR, "control_plane").as_str().ok_or("control_plane is null")?)?;
    if kinds(&cp) != ["Cluster/prod", "KubeadmControlPlane/prod-cp"] {
        return Err(format!("control_plane holds {:?}", kinds(&cp)));
    }
    if cp[1]["spec"]["kubeadmConfigSpec"]["files"][0]["contentFrom"]["secret"]["key"] != "audit.yaml" {
        return Err(format!("the KubeadmControlPlane: {}", cp[1]));
    }
    let secrets = s.attr(ADDR, "secrets");
    let want = json!({"prod-files": {
        "audit.yaml": "apiVersion: audit.k8s.io/v1\nkind: Policy # prod\n",
        "extra.conf": "extra for prod\n"
    }});
    if secrets != want {
        return Err(format!("secrets are {secrets}, want {want}"));
    }
    Ok(())
}

/// Runs `plan` on every Terraform found, requires it to fail, and returns
/// each output with Terraform's line wrapping and box drawing removed.
fn plan_errors(cfg: &str, args: &[&str]) -> Vec<String> {
    let mut outs = Vec::new();
    for tf in terraforms() {
        let wd = WorkDir::new(&tf);
        wd.write_config(cfg);
        wd.init();
        let r = wd.run(args);
        let text = r.combined();
        assert_ne!(r.code, 0, "terraform {} succeeded on {}:\n{text}", args.join(" "), tf.version);
        assert!(!text.contains("panic") && !text.contains("crashed"), "the provider crashed:\n{text}");
        let flat = text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!flat.contains(ADMIN_TOKEN) && !flat.contains(LIMITED_TOKEN), "a token leaked:\n{text}");
        outs.push(flat);
    }
    outs
}

fn assert_all(outs: &[String], wanted: &[&str]) {
    for out in outs {
        for w in wanted {
            assert!(out.contains(w), "the output lacks {w:?}:\n{out}");
        }
    }
}

// ---------------------------------------------------------------------------
// Cases

#[test]
fn client_certificate_via_kubeconfig_file() {
    let pki = Pki::new();
    let server = ApiServer::start(Mode::Capi, &pki.server, &pki.ca);
    let kubeconfig = pki.kubeconfig(server.port);
    let cfg = config(&format!(
        r#"
data "kubeadm_capi_manifests" "prod" {{
  kubeconfig_path = "{}"
  context         = "admin@prod"
  cluster_name    = "prod"
}}

output "machines" {{
  value = keys(data.kubeadm_capi_manifests.prod.manifests)
}}
"#,
        kubeconfig.display()
    ));
    run_case(
        "kubeconfig with a client certificate",
        &[Step::config(cfg).check(check_prod).check(|s| {
            let out = s.output("machines");
            if out != json!(["prod-cp-abc12", "prod-cp-def34", "prod-md-0-7d9f-x2k4p"]) {
                return Err(format!("machines output is {out}"));
            }
            Ok(())
        })],
    );
    // Only the client certificate authenticated; nothing reached for the other cluster.
    let log = server.log();
    assert!(!log.is_empty());
    assert!(log.iter().all(|l| l.starts_with("Some(Admin) GET ")), "{log:#?}");
    assert!(!log.iter().any(|l| l.contains("/kubeadmconfigs/staging") || l.contains("/secrets/staging")), "{log:#?}");
    assert!(
        log.iter().any(|l| l.contains("/machines?labelSelector=cluster.x-k8s.io%2Fcluster-name%3Dprod")),
        "{log:#?}"
    );
}

#[test]
fn bearer_token_via_direct_attributes() {
    let pki = Pki::new();
    let server = ApiServer::start(Mode::Capi, &pki.server, &pki.ca);
    run_case("bearer token", &[Step::config(direct(&server, &pki, ADMIN_TOKEN, "prod")).check(check_prod)]);
}

const PLAN: &[&str] = &["plan", "-input=false", "-no-color"];

#[test]
fn wrong_token_is_refused() {
    let pki = Pki::new();
    let server = ApiServer::start(Mode::Capi, &pki.server, &pki.ca);
    let cfg = direct(&server, &pki, "not-a-valid-token", "prod");
    run_case("wrong token", &[Step::config(cfg.clone()).expect_error("Kubernetes API credentials refused")]);
    let outs = plan_errors(&cfg, PLAN);
    assert_all(
        &outs,
        &[
            "Error: Kubernetes API credentials refused",
            &format!("the API server at {} refused the credentials (401 Unauthorized).", server.url()),
            "Check the token or client certificate",
        ],
    );
    assert!(outs.iter().all(|o| !o.contains("not-a-valid-token")));
}

#[test]
fn forbidden_resource_is_named() {
    let pki = Pki::new();
    let server = ApiServer::start(Mode::Capi, &pki.server, &pki.ca);
    let cfg = direct(&server, &pki, LIMITED_TOKEN, "prod");
    run_case("limited token", &[Step::config(cfg.clone()).expect_error("Kubernetes API access forbidden")]);
    assert_all(
        &plan_errors(&cfg, PLAN),
        &[
            "Error: Kubernetes API access forbidden",
            &format!(
                "the API server at {} does not allow get on kubeadmconfigs.bootstrap.cluster.x-k8s.io in namespace default:",
                server.url()
            ),
            "cannot get resource \"kubeadmconfigs\" in API group \"bootstrap.cluster.x-k8s.io\"",
            "Grant the identity get on kubeadmconfigs (API group bootstrap.cluster.x-k8s.io) in namespace default: a Role bound to it with a RoleBinding, with the rule apiGroups: [\"bootstrap.cluster.x-k8s.io\"], resources: [\"kubeadmconfigs\"], verbs: [\"get\"].",
            "In all, the data source needs get and list on clusters, machines and machinedeployments (cluster.x-k8s.io)",
        ],
    );
    // The token could list machines: the refusal came later, on a KubeadmConfig.
    let log = server.log();
    assert!(log.iter().any(|l| l.starts_with("Some(Limited) GET ") && l.contains("/machines?")), "{log:#?}");
    assert!(log.iter().any(|l| l.contains("/kubeadmconfigs/prod-")), "{log:#?}");
}

#[test]
fn unreadable_secret_is_a_warning() {
    let pki = Pki::new();
    let server = ApiServer::start(Mode::Capi, &pki.server, &pki.ca);
    let cfg = direct(&server, &pki, NO_SECRETS_TOKEN, "prod");
    run_case(
        "secrets forbidden",
        &[Step::config(cfg.clone()).check(|s| {
            if s.attr(ADDR, "secrets") != json!({}) {
                return Err(format!("secrets are {}", s.attr(ADDR, "secrets")));
            }
            if s.attr(ADDR, "manifests").as_object().map(|m| m.len()) != Some(3) {
                return Err("manifests incomplete".into());
            }
            Ok(())
        })],
    );
    for tf in terraforms() {
        let wd = WorkDir::new(&tf);
        wd.write_config(&cfg);
        wd.init();
        let r = wd.run(PLAN);
        assert_eq!(r.code, 0, "{}", r.combined());
        let out = r.combined().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(out.contains("Warning: Cluster API objects"), "{out}");
        assert!(out.contains("Secret default/prod-files, referenced by a bootstrap config, cannot be read"), "{out}");
        assert!(out.contains("does not allow get on secrets in namespace default"), "{out}");
        assert!(!out.contains(NO_SECRETS_TOKEN), "the token leaked: {out}");
    }
}

#[test]
fn server_without_cluster_api() {
    let pki = Pki::new();
    let server = ApiServer::start(Mode::NoCrds, &pki.server, &pki.ca);
    let cfg = direct(&server, &pki, ADMIN_TOKEN, "prod");
    run_case("no CRDs", &[Step::config(cfg.clone()).expect_error("Cluster API not installed")]);
    assert_all(
        &plan_errors(&cfg, PLAN),
        &[
            "Error: Cluster API not installed",
            &format!(
                "the Cluster API CRDs are not installed on the cluster at {}: the API group cluster.x-k8s.io does not exist (404).",
                server.url()
            ),
            "Point the data source at the Cluster API management cluster",
        ],
    );
}

#[test]
fn missing_cluster() {
    let pki = Pki::new();
    let server = ApiServer::start(Mode::Capi, &pki.server, &pki.ca);
    let cfg = direct(&server, &pki, ADMIN_TOKEN, "nope");
    run_case("missing cluster", &[Step::config(cfg.clone()).expect_error("Cluster not found")]);
    assert_all(
        &plan_errors(&cfg, PLAN),
        &[
            "Error: Cluster not found",
            &format!("cluster default/nope not found on the API server at {}.", server.url()),
            // The diagnostic points at the attribute.
            "cluster_name = \"nope\"",
        ],
    );
}

#[test]
fn no_connection_settings_fail_validation() {
    let cfg = config(
        r#"
data "kubeadm_capi_manifests" "prod" {
  cluster_name = "prod"
}
"#,
    );
    run_case("no connection", &[Step::config(cfg.clone()).expect_error("No connection to a management cluster")]);
    // A validation error: `terraform validate` (no provider configuration, no
    // read) already reports it, inside the data source block.
    assert_all(
        &plan_errors(&cfg, &["validate", "-no-color"]),
        &[
            "Error: No connection to a management cluster",
            "set kubeconfig_path (or kubeconfig) to use a kubeconfig, or host with token",
            "in data \"kubeadm_capi_manifests\" \"prod\"",
        ],
    );
    // A bad value is reported on its own attribute's line.
    let bad_host = config(
        r#"
data "kubeadm_capi_manifests" "prod" {
  cluster_name = "prod"
  host         = "127.0.0.1:6443"
}
"#,
    );
    assert_all(
        &plan_errors(&bad_host, &["validate", "-no-color"]),
        &[
            "Error: Invalid API server address",
            "\"127.0.0.1:6443\" is not an https:// URL",
            "host = \"127.0.0.1:6443\"",
        ],
    );
}

#[test]
fn untrusted_server_certificate() {
    let pki = Pki::new();
    let server = ApiServer::start(Mode::Capi, &pki.rogue_server, &pki.ca);
    let kubeconfig = pki.kubeconfig(server.port);
    let cfg = config(&format!(
        r#"
data "kubeadm_capi_manifests" "prod" {{
  kubeconfig_path = "{}"
  context         = "admin@prod"
  cluster_name    = "prod"
}}
"#,
        kubeconfig.display()
    ));
    run_case("CA mismatch", &[Step::config(cfg.clone()).expect_error("TLS handshake with the Kubernetes API failed")]);
    assert_all(
        &plan_errors(&cfg, PLAN),
        &[
            "Error: TLS handshake with the Kubernetes API failed",
            &format!(
                "the TLS handshake with the API server at {} failed: invalid peer certificate: UnknownIssuer",
                server.url()
            ),
            "Check cluster_ca_certificate or the kubeconfig's certificate-authority",
        ],
    );
    assert!(server.log().is_empty(), "a request got through: {:#?}", server.log());
}

#[test]
fn unreachable_server() {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port");
    let pki = Pki::new();
    let cfg = config(&format!(
        r#"
data "kubeadm_capi_manifests" "prod" {{
  host                   = "https://127.0.0.1:{port}"
  token                  = "{ADMIN_TOKEN}"
  cluster_ca_certificate = file("{}")
  cluster_name           = "prod"
}}
"#,
        pki.ca_path().display()
    ));
    assert_all(
        &plan_errors(&cfg, PLAN),
        &[
            "Error: Cannot reach the Kubernetes API",
            &format!("cannot connect to the API server at https://127.0.0.1:{port}:"),
        ],
    );
}
