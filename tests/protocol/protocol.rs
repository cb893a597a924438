//! The generic adapter's protocol behaviour, driven through the generated
//! tonic service trait (the exact code path a gRPC request takes after
//! decoding): Terraform's planning rules, private-state echo, state upgrades,
//! imports, capabilities and the RPCs the provider does not offer.

use terraform_provider_kubeadm::provider::{bootstrap_token, KubeadmProvider};
use terraform_provider_kubeadm::tfplugin::msgpack;
use terraform_provider_kubeadm::tfplugin::proto::tfplugin6 as pb;
use terraform_provider_kubeadm::tfplugin::proto::tfplugin6::provider_server::Provider as _;
use terraform_provider_kubeadm::tfplugin::server::ProviderService;
use terraform_provider_kubeadm::tfplugin::types::Type;
use terraform_provider_kubeadm::tfplugin::value::Value;
use tonic::Request;

const TOKEN: &str = "kubeadm_bootstrap_token";

fn ty() -> Type {
    bootstrap_token::schema().ty()
}

fn dv(v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack: msgpack::encode(v, &ty()).unwrap(), json: vec![] })
}

fn decode(d: &Option<pb::DynamicValue>) -> Value {
    msgpack::decode(&d.as_ref().unwrap().msgpack, &ty()).unwrap()
}

fn config(pairs: &[(&str, Value)]) -> Value {
    let mut c = Value::null_object(&ty());
    for (k, v) in pairs {
        c.set(k, v.clone());
    }
    c
}

async fn configured() -> ProviderService<KubeadmProvider> {
    let svc = ProviderService::new(KubeadmProvider::default());
    let provider_ty = terraform_provider_kubeadm::provider::provider_schema().ty();
    let cfg = msgpack::encode(&Value::null_object(&provider_ty), &provider_ty).unwrap();
    let r = svc
        .configure_provider(Request::new(pb::configure_provider::Request {
            config: Some(pb::DynamicValue { msgpack: cfg, json: vec![] }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    svc
}

/// Terraform's proposed new state for a create: the config, computed nulls.
async fn plan(
    svc: &ProviderService<KubeadmProvider>,
    prior: &Value,
    proposed: &Value,
    cfg: &Value,
    private: &[u8],
) -> pb::plan_resource_change::Response {
    svc.plan_resource_change(Request::new(pb::plan_resource_change::Request {
        type_name: TOKEN.into(),
        prior_state: dv(prior),
        proposed_new_state: dv(proposed),
        config: dv(cfg),
        prior_private: private.to_vec(),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn apply(
    svc: &ProviderService<KubeadmProvider>,
    prior: &Value,
    planned: &Value,
    cfg: &Value,
    private: &[u8],
) -> pb::apply_resource_change::Response {
    svc.apply_resource_change(Request::new(pb::apply_resource_change::Request {
        type_name: TOKEN.into(),
        prior_state: dv(prior),
        planned_state: dv(planned),
        config: dv(cfg),
        planned_private: private.to_vec(),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn create_plan_marks_computed_unknown_and_applies_defaults() {
    let svc = configured().await;
    let cfg = config(&[]);
    let r = plan(&svc, &Value::Null, &cfg, &cfg, b"").await;
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let planned = decode(&r.planned_state);
    assert_eq!(planned.get("ttl").as_str(), Some("24h"));
    assert_eq!(planned.get("usages").as_string_vec().unwrap(), ["signing", "authentication"]);
    for computed in ["token", "token_id", "token_secret", "expires_at", "secret_manifest", "id"] {
        assert!(planned.get(computed).is_unknown(), "{computed} should be unknown on create");
    }
    assert!(planned.get("description").is_null());
    assert!(r.requires_replace.is_empty());
}

#[tokio::test]
async fn unchanged_resource_plans_exactly_its_prior_state_and_private_is_echoed() {
    let svc = configured().await;
    let cfg = config(&[]);
    let planned = decode(&plan(&svc, &Value::Null, &cfg, &cfg, b"").await.planned_state);
    let applied = apply(&svc, &Value::Null, &planned, &cfg, b"opaque").await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(applied.private, b"opaque");
    let state = decode(&applied.new_state);
    assert!(state.is_wholly_known());

    // Terraform proposes the prior values for computed attributes.
    let r = plan(&svc, &state, &state, &cfg, b"opaque").await;
    assert_eq!(
        r.planned_state.as_ref().unwrap().msgpack,
        dv(&state).unwrap().msgpack,
        "NoOp must return the prior state byte for byte"
    );
    assert_eq!(r.planned_private, b"opaque");
    assert!(r.requires_replace.is_empty());

    let read = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: TOKEN.into(),
            current_state: dv(&state),
            private: b"opaque".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.private, b"opaque");
    assert_eq!(decode(&read.new_state), state);
}

#[tokio::test]
async fn changing_ttl_requires_replace_and_description_updates_in_place() {
    let svc = configured().await;
    let cfg = config(&[]);
    let planned = decode(&plan(&svc, &Value::Null, &cfg, &cfg, b"").await.planned_state);
    let state = decode(&apply(&svc, &Value::Null, &planned, &cfg, b"").await.new_state);

    let mut cfg2 = cfg.clone();
    cfg2.set("ttl", "48h".into());
    let mut proposed = state.clone();
    proposed.set("ttl", "48h".into());
    let r = plan(&svc, &state, &proposed, &cfg2, b"").await;
    assert_eq!(r.requires_replace.len(), 1);

    let mut cfg3 = cfg.clone();
    cfg3.set("description", "pool a".into());
    let mut proposed = state.clone();
    proposed.set("description", "pool a".into());
    let r = plan(&svc, &state, &proposed, &cfg3, b"").await;
    assert!(r.requires_replace.is_empty());
    let p = decode(&r.planned_state);
    assert_eq!(p.get("token"), state.get("token"), "the token is kept on an in-place update");
    assert!(p.get("secret_manifest").is_known(), "the manifest is recomputed at plan time");
    assert_ne!(p.get("secret_manifest"), state.get("secret_manifest"));
}

#[tokio::test]
async fn destroy_plans_null_and_apply_deletes() {
    let svc = configured().await;
    let cfg = config(&[]);
    let planned = decode(&plan(&svc, &Value::Null, &cfg, &cfg, b"").await.planned_state);
    let state = decode(&apply(&svc, &Value::Null, &planned, &cfg, b"").await.new_state);
    let r = svc
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: TOKEN.into(),
            prior_state: dv(&state),
            proposed_new_state: None,
            config: None,
            prior_private: b"p".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty());
    assert!(decode(&r.planned_state).is_null());
    let a = apply(&svc, &state, &Value::Null, &Value::Null, b"").await;
    assert!(a.diagnostics.is_empty());
    assert!(decode(&a.new_state).is_null());
}

#[tokio::test]
async fn upgrade_fills_missing_attributes_and_drops_removed_ones() {
    let svc = ProviderService::new(KubeadmProvider::default());
    let raw = br#"{"id":"abcdef","token":"abcdef.0123456789abcdef","attribute_from_the_past":1}"#;
    let r = svc
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: TOKEN.into(),
            version: 0,
            raw_state: Some(pb::RawState { json: raw.to_vec(), flatmap: Default::default() }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = decode(&r.upgraded_state);
    assert_eq!(v.get("token").as_str(), Some("abcdef.0123456789abcdef"));
    assert!(v.get("ttl").is_null());
    assert_eq!(v.as_entries().unwrap().len(), bootstrap_token::schema().block.attributes.len());

    let newer = svc
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: TOKEN.into(),
            version: 7,
            raw_state: Some(pb::RawState { json: raw.to_vec(), flatmap: Default::default() }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(newer.diagnostics.len(), 1);
    assert_eq!(newer.diagnostics[0].severity, pb::diagnostic::Severity::Error as i32);
    assert!(newer.diagnostics[0].summary.contains("newer provider"));
}

#[tokio::test]
async fn import_returns_exactly_one_resource() {
    let svc = configured().await;
    let r = svc
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: TOKEN.into(),
            id: "abcdef.0123456789abcdef".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty());
    assert_eq!(r.imported_resources.len(), 1);
    assert_eq!(r.imported_resources[0].type_name, TOKEN);
    let v = decode(&r.imported_resources[0].state);
    assert_eq!(v.get("id").as_str(), Some("abcdef"));

    let bad = svc
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: TOKEN.into(),
            id: "not-a-token".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(bad.imported_resources.is_empty());
    assert_eq!(bad.diagnostics[0].summary, "Invalid import ID");
}

#[tokio::test]
async fn schema_capabilities_and_identity() {
    let svc = ProviderService::new(KubeadmProvider::default());
    let s = svc.get_provider_schema(Request::new(pb::get_provider_schema::Request {})).await.unwrap().into_inner();
    assert!(s.provider.is_some(), "a nil provider schema is an error for Terraform");
    assert!(s.server_capabilities.unwrap().plan_destroy);
    let token = &s.resource_schemas[TOKEN];
    let block = token.block.as_ref().unwrap();
    let attr = |n: &str| block.attributes.iter().find(|a| a.name == n).unwrap();
    assert!(attr("token").sensitive && attr("token").optional && attr("token").computed);
    assert!(attr("token_secret").sensitive && attr("token_secret").computed && !attr("token_secret").optional);
    assert_eq!(attr("ttl").description_kind, pb::StringKind::Markdown as i32);
    let ids = svc
        .get_resource_identity_schemas(Request::new(pb::get_resource_identity_schemas::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(ids.identity_schemas.is_empty() && ids.diagnostics.is_empty());
    let md = svc.get_metadata(Request::new(pb::get_metadata::Request {})).await.unwrap().into_inner();
    assert_eq!(md.resources.len(), s.resource_schemas.len());

    // The node's CA and token inputs are write-only in the resource (never
    // computed, as Terraform requires); data sources have no write-only
    // attributes.
    let write_only = |schemas: &std::collections::HashMap<String, pb::Schema>, n: &str| -> Vec<String> {
        let block = schemas["kubeadm_ignition_config"].block.as_ref().unwrap();
        assert!(block.attributes.iter().filter(|a| a.write_only).all(|a| !a.computed), "{n}: computed write-only");
        block.attributes.iter().filter(|a| a.write_only).map(|a| a.name.clone()).collect()
    };
    assert_eq!(write_only(&s.resource_schemas, "resource"), ["cluster_ca", "bootstrap_token"]);
    assert!(write_only(&s.data_source_schemas, "data source").is_empty());
    for schemas in [&s.resource_schemas, &s.data_source_schemas] {
        // kubeadm_kubeconfig's cluster_ca is write-only too (tests/acceptance/acceptance_kubeconfig.rs).
        for (name, schema) in
            schemas.iter().filter(|(n, _)| !["kubeadm_ignition_config", "kubeadm_kubeconfig"].contains(&n.as_str()))
        {
            let block = schema.block.as_ref().unwrap();
            assert!(block.attributes.iter().all(|a| !a.write_only), "{name} has a write-only attribute");
        }
    }
}

#[tokio::test]
async fn features_not_offered_answer_unimplemented_clearly() {
    let svc = ProviderService::new(KubeadmProvider::default());
    let e = svc.call_function(Request::new(pb::call_function::Request::default())).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unimplemented);
    assert!(e.message().contains("does not offer provider functions"), "{}", e.message());
    let e = svc.plan_action(Request::new(pb::plan_action::Request::default())).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unimplemented);
    let e = svc.move_resource_state(Request::new(pb::move_resource_state::Request::default())).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unimplemented);
}

#[tokio::test]
async fn calls_before_configure_get_a_diagnostic() {
    let svc = ProviderService::new(KubeadmProvider::default());
    let cfg = config(&[]);
    let r = plan(&svc, &Value::Null, &cfg, &cfg, b"").await;
    assert_eq!(r.diagnostics[0].summary, "Provider not configured");
    assert!(r.planned_state.is_none());
}
