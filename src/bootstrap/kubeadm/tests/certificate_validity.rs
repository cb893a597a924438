//! `certificate_validity` by API version.

use super::*;

#[test]
fn certificate_validity_on_v1beta4() {
    let days_90 = crate::bootstrap::duration::GoDuration::parse("2160h").unwrap();
    for version in ["v1.31.0", "v1.34.4"] {
        let mut sp = spec(Role::Init, version);
        sp.cluster.certificate_validity = Some(days_90);
        let (yaml, docs) = render_parse(&sp);
        assert!(yaml.contains("\ncertificateValidityPeriod: 2160h0m0s\n"), "{yaml}");
        let Documents::V1beta4 { cluster, .. } = docs else { panic!("{yaml}") };
        assert_eq!(cluster.unwrap().certificate_validity_period.as_deref(), Some("2160h0m0s"));
        // Unset: kubeadm's default, nothing written.
        assert!(!render(&spec(Role::Init, version)).unwrap().contains("certificateValidityPeriod"));
        // Joins carry no ClusterConfiguration; the cluster's setting applies.
        for role in [Role::ControlPlane, Role::Worker] {
            let mut sp = spec(role, version);
            sp.cluster.certificate_validity = Some(days_90);
            assert!(!render(&sp).unwrap().contains("certificateValidityPeriod"));
        }
    }
    // Odd spellings come out in Go's own form.
    let mut sp = spec(Role::Init, "v1.31.0");
    sp.cluster.certificate_validity = Some(crate::bootstrap::duration::GoDuration::parse("90m30s").unwrap());
    assert!(render(&sp).unwrap().contains("certificateValidityPeriod: 1h30m30s"));
}

#[test]
fn certificate_validity_is_refused_before_1_31_and_when_not_positive() {
    let d = |s: &str| Some(crate::bootstrap::duration::GoDuration::parse(s).unwrap());
    for role in Role::ALL {
        let mut sp = spec(role, "v1.30.7");
        sp.cluster.certificate_validity = d("720h");
        let err = render(&sp).unwrap_err();
        assert_eq!(err, KubeadmError::CertificateValidityNeedsV1beta4 { version: "v1.30.7".to_string() });
        assert_eq!(err.input(), Some(("cluster", "certificate_validity")));
        assert!(err.to_string().contains("1.31") && err.to_string().contains("v1beta4"), "{err}");
        for bad in ["0s", "-1h"] {
            let mut sp = spec(role, "v1.31.0");
            sp.cluster.certificate_validity = d(bad);
            let err = validate_patches(&sp).unwrap_err();
            assert!(matches!(err, KubeadmError::InvalidCertificateValidity { .. }), "{err}");
            assert_eq!(err.input(), Some(("cluster", "certificate_validity")));
        }
    }
}
