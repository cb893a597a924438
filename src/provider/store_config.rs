//! The provider's `store` block: where full Ignition configs are kept.
//! Exactly one of `s3` and `local`; omitted entirely, the local store in
//! `./.kubeadm-ignition`.

use crate::bootstrap::duration::GoDuration;
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::schema::{Attribute, Block, BlockType, Nesting};
use crate::tfplugin::validators::string_where;
use crate::tfplugin::value::Value;

/// The default directory of the local store.
pub const DEFAULT_LOCAL_PATH: &str = "./.kubeadm-ignition";

/// The longest lifetime of a SigV4 presigned URL: seven days.
const SIGV4_MAX_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// Server-side encryption for stored objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    Aes256,
    Kms { key_id: Option<String> },
    None,
}

/// Where rendered configs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Local {
        path: String,
        base_url: Option<String>,
    },
    S3 {
        bucket: String,
        prefix: String,
        region: Option<String>,
        endpoint: Option<String>,
        force_path_style: bool,
        encryption: Encryption,
        profile: Option<String>,
        presign_ttl: Option<GoDuration>,
    },
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig::Local { path: DEFAULT_LOCAL_PATH.to_string(), base_url: None }
    }
}

pub(super) fn block_type() -> BlockType {
    let s3 = Block::new(vec![
        Attribute::string("bucket").required().describe("Bucket that holds the rendered configs."),
        Attribute::string("prefix").optional().describe("Key prefix for every object. Default: none."),
        Attribute::string("region")
            .optional()
            .describe("AWS region of the bucket. Default: from the AWS default chain (`AWS_REGION`, profile)."),
        Attribute::string("endpoint")
            .optional()
            .describe("S3-compatible endpoint URL, for MinIO, Ceph or a local test server.")
            .validate(string_where(
                "Invalid S3 endpoint",
                |u| u.starts_with("http://") || u.starts_with("https://"),
                |u| format!("{u:?} is not an http:// or https:// URL. Example: \"https://s3.eu-west-1.amazonaws.com\"."),
            )),
        Attribute::bool("force_path_style")
            .optional()
            .describe("Address the bucket in the path (`endpoint/bucket/key`) rather than the host name. Default: `false`."),
        Attribute::string("server_side_encryption")
            .optional()
            .describe("`AES256` (default), `aws:kms` or `none`.")
            .validate(|v| match v.as_str() {
                Some("AES256" | "aws:kms" | "none") | None => vec![],
                Some(other) => vec![Diagnostic::error(
                    "Invalid server-side encryption",
                    format!("{other:?} is not supported; use \"AES256\", \"aws:kms\" or \"none\"."),
                )],
            }),
        Attribute::string("kms_key_id").optional().describe("KMS key ID or ARN, with `aws:kms`."),
        Attribute::string("profile").optional().describe("Shared-config profile for credentials."),
        Attribute::string("presign_ttl")
            .optional()
            .describe("When set, also emit pointer configs with presigned HTTPS URLs valid this long (Go duration, at most `168h`).")
            .validate(|v| match v.as_str().map(GoDuration::parse) {
                Some(Err(e)) => vec![Diagnostic::error("Invalid presign_ttl", format!("{e}. Example: \"168h\"."))],
                Some(Ok(d)) if d.is_negative() || d.is_zero() => {
                    vec![Diagnostic::error("Invalid presign_ttl", "The lifetime must be positive, e.g. \"24h\".")]
                }
                Some(Ok(d)) if d.as_secs_f64() > SIGV4_MAX_SECS => vec![Diagnostic::warning(
                    "presign_ttl longer than S3 allows",
                    format!("S3 (SigV4) presigned URLs live at most 168h; {d} will be cut to 168h."),
                )],
                _ => vec![],
            }),
    ])
    .describe("Store configs in an S3 bucket; instances fetch them with their instance profile or a presigned URL.");
    let local = Block::new(vec![
        Attribute::string("path")
            .optional()
            .describe(&format!("Directory for the rendered configs. Default: `{DEFAULT_LOCAL_PATH}`.")),
        Attribute::string("base_url")
            .optional()
            .describe("Where this directory is served over HTTP(S) (e.g. by matchbox or nginx); pointer configs then fetch from there."),
    ])
    .describe("Store configs in a local directory.");
    BlockType::new(
        "store",
        Nesting::Single,
        Block::default()
            .with_blocks(vec![
                BlockType::new("s3", Nesting::Single, s3),
                BlockType::new("local", Nesting::Single, local),
            ])
            .describe(
                "Where full Ignition configs are stored. Exactly one of `s3` or `local`; omitted, the local store.",
            ),
    )
}

/// Checks that exactly one store kind is set and that encryption settings fit.
pub(super) fn validate(config: &Value, diags: &mut Diagnostics) {
    let store = config.get("store");
    if store.is_null() || store.is_unknown() {
        return;
    }
    let (s3, local) = (store.get("s3"), store.get("local"));
    let path = AttrPath::attr("store");
    if s3.is_null() && local.is_null() {
        diags.push(
            Diagnostic::error("Empty store block", "Set exactly one of `s3 { ... }` or `local { ... }`, or remove the `store` block to use the local store.")
                // A path ending at a block makes Terraform show the enclosing
                // provider block; one step into it shows the `store {` line.
                .at(path.clone().then_attr("s3")),
        );
    }
    if !s3.is_null() && !local.is_null() {
        diags.push(
            Diagnostic::error(
                "Conflicting store blocks",
                "Set exactly one of `s3 { ... }` or `local { ... }`, not both.",
            )
            .at(path.clone().then_attr("local")),
        );
    }
    if !s3.is_null() {
        let sse = s3.get("server_side_encryption").as_str();
        if s3.get("kms_key_id").as_str().is_some() && sse.is_some_and(|s| s != "aws:kms") {
            diags.push(
                Diagnostic::error(
                    "kms_key_id needs aws:kms",
                    "A KMS key only applies with server_side_encryption = \"aws:kms\"; set that or remove kms_key_id.",
                )
                .at(path.then_attr("s3").then_attr("kms_key_id")),
            );
        }
    }
}

/// Reads the store block of a validated configuration.
pub(super) fn parse(config: &Value) -> StoreConfig {
    let store = config.get("store");
    let s3 = store.get("s3");
    if !s3.is_null() {
        let s = |k: &str| s3.get(k).as_str().map(str::to_string);
        let encryption = match s3.get("server_side_encryption").as_str() {
            Some("aws:kms") => Encryption::Kms { key_id: s("kms_key_id") },
            Some("none") => Encryption::None,
            _ => Encryption::Aes256,
        };
        return StoreConfig::S3 {
            bucket: s("bucket").unwrap_or_default(),
            prefix: s("prefix").unwrap_or_default(),
            region: s("region"),
            endpoint: s("endpoint"),
            force_path_style: s3.get("force_path_style").as_bool().unwrap_or(false),
            encryption,
            profile: s("profile"),
            presign_ttl: s("presign_ttl").and_then(|t| GoDuration::parse(&t).ok()),
        };
    }
    let local = store.get("local");
    StoreConfig::Local {
        path: local.get("path").as_str().unwrap_or(DEFAULT_LOCAL_PATH).to_string(),
        base_url: local.get("base_url").as_str().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::planning;
    use crate::tfplugin::schema::Schema;

    fn schema() -> Schema {
        Schema::new(0, Block::default().with_blocks(vec![block_type()]))
    }

    fn config(store: Value) -> Value {
        let mut c = Value::null_object(&schema().ty());
        c.set("store", store);
        c
    }

    fn s3(pairs: &[(&str, Value)]) -> Value {
        let ty = schema().ty();
        let crate::tfplugin::types::Type::Object(attrs, _) = &ty else { unreachable!() };
        let store_ty = &attrs["store"];
        let mut store = Value::null_object(store_ty);
        let crate::tfplugin::types::Type::Object(sattrs, _) = store_ty else { unreachable!() };
        let mut s3 = Value::null_object(&sattrs["s3"]);
        for (k, v) in pairs {
            s3.set(k, v.clone());
        }
        store.set("s3", s3);
        store
    }

    fn check(c: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        planning::validate(&schema().block, c, &AttrPath::root(), &mut d);
        validate(c, &mut d);
        d
    }

    #[test]
    fn default_is_local() {
        assert_eq!(parse(&config(Value::Null)), StoreConfig::default());
    }

    #[test]
    fn s3_parses() {
        let c = config(s3(&[
            ("bucket", "b".into()),
            ("server_side_encryption", "aws:kms".into()),
            ("kms_key_id", "k".into()),
        ]));
        assert!(check(&c).is_empty());
        match parse(&c) {
            StoreConfig::S3 { bucket, encryption, .. } => {
                assert_eq!(bucket, "b");
                assert_eq!(encryption, Encryption::Kms { key_id: Some("k".into()) });
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_settings_are_reported_at_their_path() {
        let d = check(&config(s3(&[("bucket", "b".into()), ("server_side_encryption", "aes".into())])));
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "store.s3.server_side_encryption");
        let d = check(&config(s3(&[
            ("bucket", "b".into()),
            ("kms_key_id", "k".into()),
            ("server_side_encryption", "AES256".into()),
        ])));
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "store.s3.kms_key_id");
        let d = check(&config(s3(&[("bucket", "b".into()), ("presign_ttl", "400h".into())])));
        assert!(!d.has_errors() && !d.is_empty());
        let d = check(&config(s3(&[("bucket", "b".into()), ("presign_ttl", "7d".into())])));
        assert!(d.has_errors());
    }
}
