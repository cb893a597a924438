//! `kubeadm_bootstrap_token`: mints a kubeadm bootstrap token offline (the
//! init node seeds it into the cluster), with TTL, usages, groups, the Secret
//! manifest kubeadm would write, and `time_rotating`-style renewal.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Clock, ProviderData};
use crate::bootstrap::duration::GoDuration;
use crate::bootstrap::timestamp::parse_rfc3339;
use crate::bootstrap::token::{self, BootstrapToken, TOKEN_EXAMPLE, TOKEN_PATTERN};
use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::{Plan, Private, Resource};
use crate::tfplugin::schema::{Attribute, Block, Schema};
use crate::tfplugin::value::Value;

pub const TYPE_NAME: &str = "kubeadm_bootstrap_token";
pub const DEFAULT_TTL: &str = "24h";
pub const DEFAULT_GROUP: &str = "system:bootstrappers:kubeadm:default-node-token";

pub struct BootstrapTokenResource {
    clock: Clock,
}

impl BootstrapTokenResource {
    pub fn new(clock: Clock) -> Self {
        BootstrapTokenResource { clock }
    }
}

fn default_usages() -> Value {
    Value::string_list(token::KNOWN_USAGES)
}

fn default_groups() -> Value {
    Value::string_list([DEFAULT_GROUP])
}

fn duration_validator(name: &'static str, allow_zero: bool) -> impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync {
    move |v| {
        let Some(s) = v.as_str() else { return vec![] };
        match GoDuration::parse(s) {
            Err(e) => vec![Diagnostic::error(
                format!("Invalid {name}"),
                format!("{e}. Use a Go duration such as \"24h\", \"90m\" or \"1h30m\"."),
            )],
            Ok(d) if d.is_negative() => {
                vec![Diagnostic::error(
                    format!("Invalid {name}"),
                    format!("{s:?} is negative; durations must be zero or more."),
                )]
            }
            Ok(d) if d.is_zero() && !allow_zero => {
                vec![Diagnostic::error(format!("Invalid {name}"), format!("{name} must be longer than zero."))]
            }
            Ok(_) => vec![],
        }
    }
}

/// Reports a domain error about a list element at `name[index]`.
fn list_error(summary: &str, index: Option<usize>, e: &token::TokenError) -> Diagnostic {
    let path = match index {
        Some(i) => AttrPath::root().then_index(i),
        None => AttrPath::root(),
    };
    Diagnostic::error(summary, e.to_string()).at(path)
}

fn error_index(e: &token::TokenError) -> Option<usize> {
    match e {
        token::TokenError::EmptyUsage { index }
        | token::TokenError::UnknownUsage { index, .. }
        | token::TokenError::DuplicateUsage { index, .. }
        | token::TokenError::DuplicateGroup { index, .. } => Some(*index),
        token::TokenError::InvalidGroup { index, .. } => *index,
        _ => None,
    }
}

pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new(vec![
            Attribute::string("ttl")
                .default(Value::from(DEFAULT_TTL))
                .requires_replace()
                .describe("How long the token is valid after creation, as a Go duration (`24h`, `90m`). `0` means it never expires.")
                .validate(duration_validator("ttl", true)),
            Attribute::string("description")
                .optional()
                .describe("Human-readable description stored in the token's Secret."),
            Attribute::string_list("usages")
                .default(default_usages())
                .describe("How the token may be used: `signing` (sign the `cluster-info` ConfigMap for discovery) and/or `authentication` (authenticate as a bootstrapper).")
                .validate(|v| {
                    let items = v.as_string_vec().unwrap_or_default();
                    match token::validate_usages(&items) {
                        Ok(()) => vec![],
                        Err(e) => vec![list_error("Invalid token usage", error_index(&e), &e)],
                    }
                }),
            Attribute::string_list("groups")
                .default(default_groups())
                .describe("Extra groups the token authenticates as. Each must match `system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]`.")
                .validate(|v| {
                    let items = v.as_string_vec().unwrap_or_default();
                    match token::validate_groups(&items) {
                        Ok(()) => vec![],
                        Err(e) => vec![list_error("Invalid token group", error_index(&e), &e)],
                    }
                }),
            Attribute::string("renew_before")
                .optional()
                .describe("When set, once `expires_at - renew_before` has passed, refresh drops the token from state so the next apply mints a new one (like `time_rotating`). Must be shorter than `ttl`.")
                .validate(duration_validator("renew_before", true)),
            Attribute::string("token")
                .optional_computed()
                .sensitive()
                .requires_replace()
                .keep_prior()
                .describe(&format!("The token, `<id>.<secret>` (`{TOKEN_PATTERN}`). Generated from a CSPRNG unless supplied, e.g. `{TOKEN_EXAMPLE}`."))
                .validate(|v| match v.as_str().map(BootstrapToken::parse) {
                    Some(Err(e)) => vec![Diagnostic::error("Invalid bootstrap token", e.to_string())],
                    _ => vec![],
                }),
            Attribute::string("token_id").computed().keep_prior().describe("The public half of the token."),
            Attribute::string("token_secret").computed().sensitive().keep_prior().describe("The secret half of the token."),
            Attribute::string("expires_at")
                .computed()
                .keep_prior()
                .describe("RFC 3339 expiry time (UTC); null when `ttl` is `0`."),
            Attribute::string("secret_manifest")
                .computed()
                .sensitive()
                .describe("YAML of the `kube-system/bootstrap-token-<id>` Secret, as kubeadm writes it."),
            Attribute::string("id").computed().keep_prior().describe("The token ID (same as `token_id`)."),
        ])
        .describe("A kubeadm bootstrap token, minted offline. The init node seeds it into the cluster (`InitConfiguration.bootstrapTokens`); joining nodes use it for discovery and TLS bootstrap."),
    )
}

/// The parts of a configuration or state the token logic needs.
struct Settings {
    description: Option<String>,
    usages: Vec<String>,
    groups: Vec<String>,
}

impl Settings {
    /// `None` when any of them is still unknown.
    fn from(v: &Value) -> Option<Settings> {
        let description = v.get("description");
        if description.is_unknown() {
            return None;
        }
        Some(Settings {
            description: description.as_str().map(str::to_string),
            usages: v.get("usages").as_string_vec()?,
            groups: v.get("groups").as_string_vec()?,
        })
    }
}

fn manifest(tok: &BootstrapToken, s: &Settings, expires: Option<OffsetDateTime>) -> String {
    token::secret_manifest(tok, s.description.as_deref(), expires, &s.usages, &s.groups)
}

/// Fills the attributes derived from the token and its settings.
fn fill(state: &mut Value, tok: &BootstrapToken, s: &Settings, expires: Option<OffsetDateTime>) {
    state.set("token", Value::from(tok.to_token_string().into_inner()));
    state.set("token_id", Value::from(tok.id()));
    state.set("token_secret", Value::from(tok.secret().expose().clone()));
    state.set("id", Value::from(tok.id()));
    state.set("expires_at", Value::opt_string(expires.map(token::format_rfc3339)));
    state.set("secret_manifest", Value::from(manifest(tok, s, expires)));
}

#[async_trait]
impl Resource<ProviderData> for BootstrapTokenResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let (ttl, renew) = (config.get("ttl").as_str(), config.get("renew_before").as_str());
        let ttl = ttl.unwrap_or(DEFAULT_TTL);
        if let (Ok(ttl), Some(Ok(renew))) = (GoDuration::parse(ttl), renew.map(GoDuration::parse)) {
            if ttl.is_zero() && !renew.is_zero() {
                diags.push(
                    Diagnostic::warning(
                        "renew_before has no effect",
                        "The token never expires (ttl = \"0\"), so it is never renewed. Set a ttl, or remove renew_before.",
                    )
                    .at(AttrPath::attr("renew_before")),
                );
            } else if !ttl.is_zero() && renew >= ttl {
                diags.push(
                    Diagnostic::error(
                        "renew_before must be shorter than ttl",
                        format!("With ttl = {ttl} and renew_before = {renew}, every refresh would replace the token. Choose a renew_before below the ttl, e.g. a quarter of it."),
                    )
                    .at(AttrPath::attr("renew_before")),
                );
            }
        }
    }

    async fn plan(&self, _data: &ProviderData, plan: &mut Plan, _diags: &mut Diagnostics) {
        let supplied = plan.config.get("token").as_str().and_then(|t| BootstrapToken::parse(t).ok());
        if plan.is_create() {
            // A supplied token makes its halves known at plan time.
            if let Some(tok) = &supplied {
                plan.planned.set("token_id", Value::from(tok.id()));
                plan.planned.set("id", Value::from(tok.id()));
                plan.planned.set("token_secret", Value::from(tok.secret().expose().clone()));
            }
            // A token that never expires has a known (null) expiry.
            if plan.planned.get("ttl").as_str().and_then(|t| GoDuration::parse(t).ok()).is_some_and(GoDuration::is_zero)
            {
                plan.planned.set("expires_at", Value::Null);
                if let (Some(tok), Some(s)) = (&supplied, Settings::from(&plan.planned)) {
                    plan.planned.set("secret_manifest", Value::from(manifest(tok, &s, None)));
                }
            }
            return;
        }
        // In-place update (description, usages, groups, renew_before): the
        // token stays; the manifest follows the new settings.
        let token = plan.planned.get("token").as_str().and_then(|t| BootstrapToken::parse(t).ok());
        let expires = plan.planned.get("expires_at");
        match (token, Settings::from(&plan.planned)) {
            (Some(tok), Some(s)) if expires.is_known() => {
                let exp = expires.as_str().and_then(parse_rfc3339);
                plan.planned.set("secret_manifest", Value::from(manifest(&tok, &s, exp)));
            }
            _ => plan.planned.set("secret_manifest", Value::unknown()),
        }
    }

    async fn create(
        &self,
        _data: &ProviderData,
        planned: &Value,
        config: &Value,
        _private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let tok = match config.get("token").as_str() {
            Some(t) => match BootstrapToken::parse(t) {
                Ok(t) => t,
                Err(e) => {
                    diags.push(Diagnostic::error("Invalid bootstrap token", e.to_string()).at(AttrPath::attr("token")));
                    return None;
                }
            },
            None => BootstrapToken::generate(&mut rand::rng()),
        };
        let ttl = planned.get("ttl").as_str().unwrap_or(DEFAULT_TTL);
        let ttl = match GoDuration::parse(ttl) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error("Invalid ttl", e.to_string()).at(AttrPath::attr("ttl")));
                return None;
            }
        };
        let expires = match token::expires_at((self.clock)(), ttl) {
            Ok(e) => e,
            Err(e) => {
                diags.push(Diagnostic::error("Invalid ttl", e.to_string()).at(AttrPath::attr("ttl")));
                return None;
            }
        };
        let Some(settings) = Settings::from(planned) else {
            diags.push(Diagnostic::error(
                "Unknown token settings at apply",
                "usages, groups and description must be known when the token is created.",
            ));
            return None;
        };
        let mut state = planned.clone();
        fill(&mut state, &tok, &settings, expires);
        Some(state)
    }

    async fn read(
        &self,
        _data: &ProviderData,
        state: &Value,
        _private: &mut Private,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let expires = state.get("expires_at").as_str().and_then(parse_rfc3339);
        let renew_before = state.get("renew_before").as_str().and_then(|s| GoDuration::parse(s).ok());
        let now = (self.clock)();
        if let Some(rb) = renew_before {
            if token::needs_renewal(now, expires, rb) {
                // Like time_rotating: drop it so the next apply mints a new one.
                return None;
            }
        }
        if let Some(exp) = expires {
            if now >= exp {
                diags.push(
                    Diagnostic::warning(
                        "Bootstrap token expired",
                        format!(
                            "Token {} expired at {}; nodes can no longer join with it. Set renew_before to rotate tokens automatically, or run `terraform apply -replace` on this resource.",
                            state.get("token_id").as_str().unwrap_or("?"),
                            token::format_rfc3339(exp)
                        ),
                    )
                    .at(AttrPath::attr("expires_at")),
                );
            }
        }
        Some(state.clone())
    }

    async fn delete(&self, _data: &ProviderData, _prior: &Value, _diags: &mut Diagnostics) {
        // The token lives only in Terraform state (and in the cluster, which
        // its TokenCleaner prunes after expiry): nothing to remove here.
    }

    async fn import(&self, _data: &ProviderData, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let (tok_str, exp_str) = match id.split_once(',') {
            Some((t, e)) => (t.trim(), Some(e.trim())),
            None => (id.trim(), None),
        };
        let tok = match BootstrapToken::parse(tok_str) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "Invalid import ID",
                    format!("{e}. Import with the token, optionally followed by its expiry: `{TOKEN_EXAMPLE}` or `{TOKEN_EXAMPLE},2030-01-02T15:04:05Z`."),
                ));
                return None;
            }
        };
        let expires = match exp_str {
            None => None,
            Some(s) => match parse_rfc3339(s) {
                Some(t) => Some(t),
                None => {
                    let shown: String = s.chars().take(40).collect();
                    let more = if shown.len() < s.len() { "..." } else { "" };
                    diags.push(Diagnostic::error(
                        "Invalid import ID",
                        format!("{shown:?}{more} is not an RFC 3339 time; write the expiry like 2030-01-02T15:04:05Z."),
                    ));
                    return None;
                }
            },
        };
        let mut state = Value::null_object(&schema().ty());
        state.set("ttl", Value::from(DEFAULT_TTL));
        state.set("usages", default_usages());
        state.set("groups", default_groups());
        let settings = Settings::from(&state)?;
        fill(&mut state, &tok, &settings, expires);
        Some(state)
    }
}

/// A clock for tests.
pub fn fixed_clock(t: OffsetDateTime) -> Clock {
    Arc::new(move || t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::store_config::StoreConfig;
    use crate::tfplugin::planning;

    fn data() -> ProviderData {
        ProviderData::new(StoreConfig::default())
    }

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-01-01 00:00:00 UTC)
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut c = Value::null_object(&schema().ty());
        for (k, v) in pairs {
            c.set(k, v.clone());
        }
        c
    }

    fn validate(c: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        planning::validate(&schema().block, c, &AttrPath::root(), &mut d);
        BootstrapTokenResource::new(fixed_clock(now())).validate(c, &mut d);
        d
    }

    #[test]
    fn schema_is_valid() {
        schema().block.check().unwrap();
    }

    #[test]
    fn bad_inputs_point_at_attributes() {
        let cases: Vec<(Value, &str)> = vec![
            (config(&[("token", "ABCDEF.zyxwvutsrqponmlk".into())]), "token"),
            (config(&[("ttl", "3d".into())]), "ttl"),
            (config(&[("ttl", "-1h".into())]), "ttl"),
            (config(&[("groups", Value::string_list(["system:bootstrappers:ok", "admins"]))]), "groups[1]"),
            (config(&[("usages", Value::string_list(["signing", "everything"]))]), "usages[1]"),
            (config(&[("renew_before", "2h".into()), ("ttl", "1h".into())]), "renew_before"),
        ];
        for (c, path) in cases {
            let d = validate(&c);
            assert!(d.has_errors(), "{path}: {d:?}");
            assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), path);
            // no secret echoed
            assert!(!d.0[0].detail.contains("zyxwvutsrqponmlk"), "{}", d.0[0].detail);
        }
        assert!(
            validate(&config(&[("ttl", "0".into()), ("renew_before", "1h".into())])).0[0].severity
                == crate::tfplugin::diag::Severity::Warning
        );
        assert!(validate(&config(&[("token", "abcdef.0123456789abcdef".into())])).is_empty());
    }

    #[tokio::test]
    async fn create_generates_and_fills() {
        let r = BootstrapTokenResource::new(fixed_clock(now()));
        let mut planned = config(&[]);
        planning::apply_computed(&schema().block, &mut planned, &config(&[]), None);
        let mut d = Diagnostics::new();
        let s = r.create(&data(), &planned, &config(&[]), &mut Private::default(), &mut d).await.unwrap();
        assert!(d.is_empty());
        assert!(s.is_wholly_known());
        let tok = BootstrapToken::parse(s.get("token").as_str().unwrap()).unwrap();
        assert_eq!(s.get("id").as_str(), Some(tok.id()));
        assert_eq!(s.get("expires_at").as_str(), Some("2026-01-02T00:00:00Z"));
        assert!(s.get("secret_manifest").as_str().unwrap().contains(&format!("bootstrap-token-{}", tok.id())));
    }

    #[tokio::test]
    async fn read_drops_tokens_due_for_renewal() {
        let created = now();
        let r = BootstrapTokenResource::new(fixed_clock(created));
        let c = config(&[("ttl", "1h".into()), ("renew_before", "15m".into())]);
        let mut planned = c.clone();
        planning::apply_computed(&schema().block, &mut planned, &c, None);
        let mut d = Diagnostics::new();
        let s = r.create(&data(), &planned, &c, &mut Private::default(), &mut d).await.unwrap();
        assert!(r.read(&data(), &s, &mut Private::default(), &mut d).await.is_some());
        let later = BootstrapTokenResource::new(fixed_clock(created + time::Duration::minutes(46)));
        assert!(later.read(&data(), &s, &mut Private::default(), &mut d).await.is_none());
    }

    #[tokio::test]
    async fn import_round_trip() {
        let r = BootstrapTokenResource::new(fixed_clock(now()));
        let mut d = Diagnostics::new();
        let s = r.import(&data(), "abcdef.0123456789abcdef,2026-01-02T00:00:00Z", &mut d).await.unwrap();
        assert_eq!(s.get("token_id").as_str(), Some("abcdef"));
        assert_eq!(s.get("expires_at").as_str(), Some("2026-01-02T00:00:00Z"));
        assert!(r.import(&data(), "nope", &mut d).await.is_none());
        assert!(d.has_errors());
    }
}
