//! Property tests for panics and round trips.

use super::*;

fn small_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    let key = prop_oneof![any::<String>(), "[a-z][a-z0-9.-]{0,10}(/[a-z0-9]{1,6})?"];
    let value = prop_oneof![any::<String>(), "[A-Za-z0-9]{0,8}", Just(String::new())];
    proptest::collection::btree_map(key, value, 0..4)
}

/// Cases of [`render_never_panics_and_round_trips`], and how many of them
/// must render (the others fail on inputs kubeadm refuses, such as random
/// label keys): a run where (nearly) every case fails to render would check
/// the round trip of nothing.
const ROUND_TRIP_CASES: u32 = 256;
const ROUND_TRIP_MIN_RENDERED: usize = 32;

#[test]
fn render_never_panics_and_round_trips() {
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::Cell;
    let inputs = (
        small_map(),
        small_map(),
        small_map(),
        prop_oneof![Just(Role::Init), Just(Role::ControlPlane), Just(Role::Worker)],
        22u32..40,
        any::<bool>(),
        any::<bool>(),
    );
    let rendered = Cell::new(0usize);
    // As `proptest!` does: failures are kept in proptest-regressions/.
    let config = Config { cases: ROUND_TRIP_CASES, source_file: Some(file!()), ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&inputs, |(labels, kubelet_args, api_args, role, minor, fcos, aws)| {
        let mut sp = spec(role, &format!("v1.{minor}.0"));
        sp.node.labels = labels;
        sp.node.kubelet_extra_args = kubelet_args;
        sp.cluster.api_server.extra_args = api_args;
        if fcos {
            sp.os = OperatingSystem::FedoraCoreos;
        }
        if aws {
            sp.node.name_from = NameFrom::Aws;
        }
        if let Ok(yaml) = render(&sp) {
            let docs = parse_documents(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            prop_assert_eq!(docs.to_yaml().unwrap(), yaml);
            rendered.set(rendered.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let rendered = rendered.get();
    eprintln!("render round trip: {rendered} of {ROUND_TRIP_CASES} cases rendered");
    assert!(
        rendered >= ROUND_TRIP_MIN_RENDERED,
        "only {rendered} of {ROUND_TRIP_CASES} cases rendered: the round trip was hardly checked"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parse_documents_never_panics(text in any::<String>()) {
        let _ = parse_documents(&text);
    }

    #[test]
    fn parse_documents_never_panics_on_yamlish_text(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("apiVersion: kubeadm.k8s.io/v1beta4\n".to_string()),
                Just("apiVersion: kubeadm.k8s.io/v1beta3\n".to_string()),
                Just("kind: InitConfiguration\n".to_string()),
                Just("kind: JoinConfiguration\n".to_string()),
                Just("kind: KubeletConfiguration\n".to_string()),
                Just("---\n".to_string()),
                Just("nodeRegistration:\n  taints: []\n".to_string()),
                Just("  - name: a\n".to_string()),
                Just("&a [*a]\n".to_string()),
                "[a-zA-Z: \\[\\]{}\\-\n\"']{0,20}",
            ],
            0..12,
        )
    ) {
        let _ = parse_documents(&parts.concat());
    }

    #[test]
    fn patches_never_panic(text in any::<String>(), yamlish in "[a-zA-Z: \\[\\]{}\\-\n\"'~]{0,40}") {
        for t in [&text, &yamlish] {
            let mut sp = spec(Role::Init, "v1.31.0");
            sp.patches.cluster_configuration = Some(t.clone());
            sp.patches.kubelet_configuration = Some(t.clone());
            let _ = render(&sp);
        }
    }
}
