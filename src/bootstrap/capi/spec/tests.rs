use super::files::mount_unit_name;
use super::node::{is_aws_provider_id_template, node_name};
use super::NodeName;

#[test]
fn node_names() {
    assert_eq!(node_name("{{ ds.meta_data.local_hostname }}"), NodeName::Aws);
    assert_eq!(node_name("{{ ds.meta_data[\"local_hostname\"] }}"), NodeName::Aws);
    assert_eq!(node_name("${COREOS_EC2_HOSTNAME}"), NodeName::Aws);
    assert_eq!(node_name("{{ ds.meta_data.hostname }}x"), NodeName::Unset);
    assert_eq!(node_name("worker-0"), NodeName::Literal("worker-0".into()));
    assert!(is_aws_provider_id_template(
        "aws:///{{ ds.meta_data.placement.availability_zone }}/{{ ds.meta_data.instance_id }}"
    ));
    assert!(!is_aws_provider_id_template("aws:///eu-west-1a/i-0123"));
}

#[test]
fn mount_units() {
    assert_eq!(mount_unit_name("/var/lib/etcd"), "var-lib-etcd.mount");
    assert_eq!(mount_unit_name("/mnt/data-1"), "mnt-data\\x2d1.mount");
    assert_eq!(mount_unit_name("/"), "-.mount");
}
