//! The schema of a node's inputs, shared by the resource and the data
//! source, with the value checks that need nothing but the value.

use crate::bootstrap::artifacts::{parse_mode, valid_sha512};
use crate::bootstrap::node::{DEFAULT_DNS_DOMAIN, DEFAULT_SERVICE_SUBNET};
use crate::tfplugin::diag::Diagnostic;
use crate::tfplugin::schema::{Attribute, Block, BlockType, Nesting};
use crate::tfplugin::types::Type;
use crate::tfplugin::validators::{one_of, string_where};
use crate::tfplugin::value::Value;

use super::{CA_FIELDS, TOKEN_FIELDS};

fn object_of(fields: &[&str]) -> Type {
    Type::object(fields.iter().map(|f| {
        let t = if matches!(*f, "usages" | "groups") { Type::list(Type::String) } else { Type::String };
        (f.to_string(), t)
    }))
}

fn component(name: &str, what: &str) -> BlockType {
    BlockType::new(
        name,
        Nesting::Single,
        Block::new(vec![Attribute::string_map("extra_args").optional().describe(&format!("Extra flags for {what}."))]),
    )
}

/// The inputs shared by the resource and the data source.
pub fn input_block() -> Block {
    let cluster = Block::new(vec![
        Attribute::string("name")
            .optional()
            .describe("Cluster name (`clusterName`). Required unless `capi_manifests` gives it."),
        Attribute::string("kubernetes_version")
            .optional()
            // Checked by Reader::check_known with the other cluster inputs.
            .describe("Kubernetes version, e.g. `v1.31.4`. Picks kubeadm's config API: `v1beta3` for 1.22–1.30, `v1beta4` from 1.31. Required unless `capi_manifests` gives it (the Machine's `spec.version`)."),
        Attribute::string("control_plane_endpoint").optional().describe(
            "`host[:port]` of the API server load balancer (`controlPlaneEndpoint`). Required for joins; set it at init too, or control-plane nodes cannot join later (and an init node looks for its running cluster there before it founds one).",
        ),
        Attribute::string("pod_subnet").optional().describe("Pod network CIDR(s), comma-separated for dual stack."),
        Attribute::string("service_subnet")
            .default(Value::from(DEFAULT_SERVICE_SUBNET))
            .describe("Service network CIDR(s), comma-separated for dual stack."),
        Attribute::string("dns_domain").default(Value::from(DEFAULT_DNS_DOMAIN)).describe("Cluster DNS domain."),
        Attribute::string("image_repository").optional().describe("Registry for control-plane images (default: kubeadm's)."),
        Attribute::of_type("feature_gates", Type::map(Type::Bool)).optional().describe("Feature gates for every component."),
        Attribute::string("certificate_validity").optional().describe(
            "Lifetime of the certificates kubeadm signs on control planes (API server, etcd, front-proxy client, the kubeconfigs in `/etc/kubernetes`), as a Go duration such as `\"2160h\"`: kubeadm's `certificateValidityPeriod`, default `8760h` (a year). Kubernetes 1.31 and newer (kubeadm's `v1beta4` config API); an error before. `kubeadm init` reads it and keeps it in the cluster's `kubeadm-config`, where control planes that join later and `kubeadm certs renew` find it, so it matters on the init node. kubeadm's `caCertificateValidityPeriod` is not offered: kubeadm applies it only to CAs it generates, and every CA of these nodes comes from `kubeadm_cluster_ca` (set their lifetime with its `validity_days`). In compat mode `clusterConfiguration.certificateValidityPeriodDays` gives it unless this is set.",
        ),
    ])
    .with_blocks(vec![
        BlockType::new(
            "api_server",
            Nesting::Single,
            Block::new(vec![
                Attribute::string_map("extra_args").optional().describe("Extra kube-apiserver flags."),
                Attribute::string_list("cert_sans").optional().describe("Extra SANs for the API server certificate."),
            ]),
        ),
        component("controller_manager", "kube-controller-manager"),
        component("scheduler", "kube-scheduler"),
        BlockType::new(
            "etcd",
            Nesting::Single,
            Block::new(vec![
                Attribute::string_map("extra_args").optional().describe("Extra etcd flags."),
                Attribute::string("data_dir").optional().describe("etcd data directory (default `/var/lib/etcd`)."),
            ]),
        ),
    ])
    .describe("Cluster-wide settings (kubeadm's `ClusterConfiguration`).");

    let node = Block::new(vec![
        Attribute::string("name_from")
            .default(Value::from("hostname"))
            .describe("`aws`: the node name is the EC2 private DNS name and the kubelet's provider ID `aws:///<zone>/<instance>`, read from the OS metadata agent at boot. `hostname`: kubeadm's default.")
            .validate(one_of("name_from", &["aws", "hostname"])),
        Attribute::string_map("labels").optional().describe("Node labels."),
        Attribute::nested(
            "taints",
            Nesting::List,
            vec![
                Attribute::string("key").required(),
                Attribute::string("value").optional(),
                Attribute::string("effect")
                    .required()
                    .validate(one_of("taint effect", &["NoSchedule", "PreferNoSchedule", "NoExecute"])),
            ],
        )
        .optional()
        .describe("Node taints. Unset keeps kubeadm's default (control planes are tainted); `[]` means none."),
        Attribute::string_map("kubelet_extra_args").optional().describe("Extra kubelet flags."),
        Attribute::string_list("skip_phases").optional().describe("kubeadm phases to skip."),
        Attribute::string_list("ignore_preflight_errors").optional().describe("kubeadm preflight checks to ignore."),
        Attribute::number("kubeadm_verbosity").optional().describe("kubeadm's log level (`--v`, 0–10).").validate(|v| {
            match v.as_i64() {
                Some(n) if !(0..=10).contains(&n) => {
                    vec![Diagnostic::error("Invalid kubeadm_verbosity", format!("{n} is out of range; use 0 to 10."))]
                }
                // A fraction (or a number too large for an integer) would otherwise be dropped silently.
                None if !v.is_null() => {
                    vec![Diagnostic::error("Invalid kubeadm_verbosity", "Use a whole number from 0 to 10.")]
                }
                _ => vec![],
            }
        }),
    ])
    .describe("Node registration.");

    let artifacts = Block::new(vec![
        Attribute::string("source")
            .default(Value::from("preinstalled"))
            .describe("`preinstalled` (the image has kubeadm and kubelet), `manifest` (a version manifest) or `urls` (the `files` blocks).")
            .validate(one_of("artifact source", &["preinstalled", "manifest", "urls"])),
        Attribute::string("manifest_url")
            .optional()
            .describe("Where the version manifest is: a local path, `https://` or `s3://` URL (with `source = \"manifest\"`)."),
    ])
    .with_blocks(vec![BlockType::new(
        "files",
        Nesting::List,
        Block::new(vec![
            Attribute::string("path").required().describe("Absolute path on the node."),
            Attribute::string("url").required().describe("Where the node fetches it."),
            Attribute::string("sha512")
                .required()
                .describe("Hex SHA-512 of the file; the node refuses anything else.")
                .validate(string_where("Invalid sha512", valid_sha512, |_| "Write the SHA-512 as 128 hex digits.".into())),
            Attribute::string("mode").optional().describe("File mode, default `0755`.").validate(mode_validator()),
            Attribute::string("extract_to").optional().describe("Unpack this `.tar.gz` into this directory before kubeadm runs."),
        ]),
    )])
    .describe("How kubeadm, kubelet and friends reach the node.");

    let files = Block::new(vec![
        Attribute::string("path").required().describe("Absolute path."),
        Attribute::string("content").required().sensitive().describe("File contents."),
        Attribute::string("mode").default(Value::from("0644")).describe("Octal mode.").validate(mode_validator()),
        Attribute::string("owner").optional().describe("`user:group`, default `root:root`."),
    ]);
    let users = Block::new(vec![
        Attribute::string("name").required().describe("Account name; created when missing."),
        Attribute::string_list("ssh_authorized_keys").optional().describe("SSH public keys, one per entry."),
        Attribute::string_list("groups").optional().describe("Supplementary groups."),
        Attribute::string("primary_group").optional().describe("Primary group."),
        Attribute::string("gecos").optional().describe("Comment (full name) field."),
        Attribute::string("home_dir").optional().describe("Home directory (absolute)."),
        Attribute::string("shell").optional().describe("Login shell (absolute)."),
        Attribute::string("password_hash")
            .optional()
            .sensitive()
            .describe("crypt(3) password hash; without one the account has no password login."),
    ]);
    let ntp = Block::new(vec![Attribute::string_list("servers").required().describe("NTP servers.")]);
    let patch_attr = |n: &str, doc: &str| {
        Attribute::string(n)
            .optional()
            .describe(&format!("YAML merge patch onto the generated {doc}; unknown fields are errors."))
    };
    let patches = Block::new(vec![
        patch_attr("cluster_configuration", "`ClusterConfiguration`"),
        patch_attr("init_configuration", "`InitConfiguration`"),
        patch_attr("join_configuration", "`JoinConfiguration`"),
        patch_attr("kubelet_configuration", "`KubeletConfiguration`"),
        patch_attr("kube_proxy_configuration", "`KubeProxyConfiguration`"),
    ]);

    Block::new(vec![
        Attribute::string("role")
            .optional()
            .describe("`init` (the first control plane: founds the cluster on its first boot; a machine that boots it while the cluster answers at `cluster.control_plane_endpoint` joins it as a control plane instead), `control-plane` (joins as control plane) or `worker`. Required unless `capi_manifests` lets the provider infer it as Cluster API would.")
            .validate(one_of("role", &["init", "control-plane", "worker"])),
        Attribute::string("name").optional().describe("Node or pool name, part of the object key."),
        Attribute::of_type("cluster_ca", object_of(&CA_FIELDS))
            .optional()
            .sensitive()
            .describe("The `kubeadm_cluster_ca` resource (the whole object). Keys ship only to init and control-plane nodes; workers get the CA hash."),
        Attribute::of_type("bootstrap_token", object_of(&TOKEN_FIELDS))
            .required()
            .sensitive()
            .describe("The `kubeadm_bootstrap_token` resource (the whole object)."),
        Attribute::string("operating_system")
            .default(Value::from("flatcar"))
            .describe("`flatcar` or `fedora-coreos`.")
            .validate(one_of("operating_system", &["flatcar", "fedora-coreos"])),
        Attribute::string("ignition_version")
            .default(Value::from("3.3.0"))
            .describe("Ignition spec version: `3.3.0` (accepted by every current Flatcar and Fedora CoreOS) or `3.4.0`.")
            .validate(one_of("ignition_version", &["3.3.0", "3.4.0"])),
        Attribute::string_list("pre_kubeadm_commands").optional().describe("Shell commands run before kubeadm."),
        Attribute::string_list("post_kubeadm_commands").optional().describe("Shell commands run after kubeadm succeeded."),
        Attribute::string_list("additional_ignition")
            .optional()
            .describe("Ignition configs (JSON) merged onto the rendered one with Ignition's merge rules."),
        Attribute::string("capi_manifests").optional().describe(
            "Compat mode: multi-document YAML with a Cluster API `KubeadmConfig`, `KubeadmConfigTemplate` or `KubeadmControlPlane` (v1alpha3–v1beta2), optionally with its `Cluster`, `Machine` or `MachineDeployment` and `Secret`s. The node is rendered from them as Cluster API's kubeadm bootstrap provider would; blocks and attributes set here override them. See the migration guide.",
        ),
        Attribute::of_type("capi_secrets", Type::map(Type::map(Type::String)))
            .optional()
            .sensitive()
            .describe("Values of the Secrets that `capi_manifests` files read with `contentFrom` (and users with `passwdFrom`): secret name → key → value (plain text)."),
    ])
    .with_blocks(vec![
        BlockType::new("cluster", Nesting::Single, cluster),
        BlockType::new("node", Nesting::Single, node),
        BlockType::new("kubernetes_artifacts", Nesting::Single, artifacts),
        BlockType::new("files", Nesting::List, files),
        BlockType::new("users", Nesting::List, users),
        BlockType::new("ntp", Nesting::Single, ntp),
        BlockType::new("kubeadm_config_patches", Nesting::Single, patches),
    ])
}

fn mode_validator() -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    string_where(
        "Invalid file mode",
        |s| parse_mode(s).is_some(),
        |s| format!("{s:?} is not an octal mode such as \"0644\" or \"0755\"."),
    )
}
