//! The schemas of the resource and the data source.

use super::*;

pub(super) fn validate_mode(v: &Value) -> Vec<Diagnostic> {
    match v.as_str() {
        Some(s) if UserDataMode::parse(s).is_none() => vec![Diagnostic::error(
            "Invalid user_data_mode",
            format!(
                "{s:?} is not a mode; use \"pinned\" (the default: the pointer checks the config's SHA-512) or \"stable\" (user_data stays the same while the stored config changes)."
            ),
        )],
        _ => vec![],
    }
}

pub(super) fn validate_replace_after(v: &Value) -> Vec<Diagnostic> {
    let Some(s) = v.as_str() else { return vec![] };
    let problem = match GoDuration::parse(s) {
        Err(e) => format!("{e}"),
        Ok(d) if d.is_negative() || d.is_zero() => {
            format!("{s:?} is not a positive duration: the config would be due as soon as it is rendered")
        }
        Ok(_) => return vec![],
    };
    vec![Diagnostic::error(
        "Invalid replace_after",
        format!("{problem}. Use a Go duration such as \"8000h\" (about 11 months) or \"720h\" (30 days)."),
    )]
}

/// Inputs the resource does not store: the rendered object already carries
/// what they contribute, and the key material in `cluster_ca` stays in the
/// one `kubeadm_cluster_ca` state instead of being copied into every node's.
pub const WRITE_ONLY_INPUTS: [&str; 2] = ["cluster_ca", "bootstrap_token"];

pub fn resource_schema() -> Schema {
    let mut block = input_block();
    for a in block.attributes.iter_mut().filter(|a| WRITE_ONLY_INPUTS.contains(&a.name.as_str())) {
        a.write_only = true;
        a.description.push_str(
            " Write-only on Terraform 1.11 and later: used at plan and apply, never stored in this resource's plan or state (its changes show as changes of `id` and `rendered_sha512`).",
        );
    }
    block.attributes.extend([
        Attribute::string("user_data_mode").optional().validate(validate_mode).describe(
            "How `user_data` points at the stored config. `pinned` (the default): the object key holds the content hash and the pointer carries `verification.hash`, so the machine boots exactly what was rendered, and every re-render changes `user_data` (and each instance or launch template that uses it). `stable`: the object lives at `<cluster>/<role>/<name>.ign` and the pointer has no hash, so `user_data` stays byte-identical while the stored config changes (a rotated bootstrap token, say): machines that boot later get the latest config, machines that already booted are untouched. Integrity then rests on who may write the object. Needs a URL machines can fetch (the S3 store, or the local store with `base_url`). Give each node config of a cluster and role its own `name`; a config of another node already stored at the key is an error, never overwritten. Changing the mode moves the object.",
        ),
        Attribute::string("replace_after").optional().validate(validate_replace_after).describe(
            "A Go duration (`\"8000h\"`). Once `replace_at` (`rendered_at` plus this) has passed, the refresh of the next plan marks the config due and the plan re-renders it in place, with a warning; the apply stores it again and sets a new `rendered_at`. A machine with `lifecycle { replace_triggered_by = [...] }` on this config's `rendered_at` is replaced in that apply, so control planes can be rolled before kubeadm's leaf certificates expire (a year after boot by default; keep `replace_after` below `cluster.certificate_validity`). Like `renew_before`, only a refresh finds the config due: `-refresh=false` plans do not. Unset: the config is never due.",
        ),
        Attribute::string("rendered_at").computed().describe(
            "When the current config generation started (RFC 3339, UTC): set when the resource is created and when a due config is re-rendered (`replace_after`). Other re-renders (a rotated token, a new input) keep it, so `replace_triggered_by` on this attribute rolls machines only when they are due. For configs created by a provider version without this attribute, the first refresh records the time it ran.",
        ),
        Attribute::string("replace_at").computed().describe(
            "`rendered_at` plus `replace_after` (RFC 3339, UTC); null without `replace_after`. A refresh after this time sets it to null and the plan re-renders the config.",
        ),
        Attribute::string("id").computed().describe(
            "The object key in the store: `<cluster>/<role>/<name>-<content hash>.ign`, or `<cluster>/<role>/<name>.ign` with `user_data_mode = \"stable\"`.",
        ),
        Attribute::string("rendered_sha512").computed().describe("Hex SHA-512 of the rendered config."),
        Attribute::string("object_url").computed().describe("Where the config is stored: `s3://bucket/key` or a local path."),
        Attribute::string("user_data").computed().describe(
            "For `aws_instance.user_data`: an Ignition pointer config (`config.replace` with the object's URL and, in `pinned` mode, `verification.hash`). With the local store and no `base_url`, the whole config inline (`pinned` mode only).",
        ),
        Attribute::number("user_data_size").computed().describe("Size of `user_data` in bytes (EC2 allows 16384)."),
        Attribute::string("user_data_presigned").computed().sensitive().describe(
            "A pointer config with a presigned HTTPS URL (S3 store with `presign_ttl` only). It is signed again whenever the config's content changes and expires after `presign_ttl` (at most 7 days), so unlike `user_data` it changes with every re-render in both modes; in `stable` mode it has no `verification.hash` either. Prefer `user_data` and an instance profile; presigned URLs suit tests and short-lived machines.",
        ),
        Attribute::string("kubeadm_config").computed().sensitive().describe("The kubeadm configuration shipped to the node."),
        Attribute::string("read_policy_json").computed().describe(
            "An IAM policy granting read access to this object (S3 store only). In `stable` mode it names the one key the node config keeps, so it does not change when the config is re-rendered.",
        ),
    ]);
    Schema::new(
        0,
        block.describe(
            "Renders the Ignition config that turns a fresh Flatcar or Fedora CoreOS machine into a kubeadm node (`init`, `control-plane` or `worker`), stores it, and returns a small pointer config for user data.",
        ),
    )
}

pub fn data_source_schema() -> Schema {
    let mut block = input_block();
    block.attributes.extend([
        Attribute::string("id").computed().describe("Hex SHA-512 of the rendered config."),
        Attribute::string("rendered").computed().sensitive().describe("The rendered Ignition config (JSON)."),
        Attribute::string("rendered_sha512").computed().describe("Hex SHA-512 of `rendered`."),
        Attribute::string("kubeadm_config")
            .computed()
            .sensitive()
            .describe("The kubeadm configuration shipped to the node."),
    ]);
    Schema::new(
        0,
        block.describe(
            "Renders a node's Ignition config without storing it, for inline user data where the secrets policy allows it, bare metal and other clouds.",
        ),
    )
}
