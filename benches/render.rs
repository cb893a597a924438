//! Render throughput per role and OS: kubeadm documents plus the Ignition
//! config, on one thread, as the provider does at plan time. Prints a table
//! (configs per second per core, median microseconds, rendered size).
//!
//! Run with `cargo bench --bench render`.

use std::time::Instant;

use terraform_provider_kubeadm::bootstrap::node::{
    Artifacts, CaMaterial, ControlPlanePki, NameFrom, NodeOptions, NodeSpec, OperatingSystem, RemoteFile, Role,
};
use terraform_provider_kubeadm::bootstrap::pki::{self, CaRole, KeyAlgorithm};
use terraform_provider_kubeadm::bootstrap::{artifacts, fixtures, ignition, kubeadm};

fn pki_material() -> ControlPlanePki {
    let now = time::OffsetDateTime::now_utc();
    let ca = |role| {
        let p = pki::generate_ca(role, "bench", KeyAlgorithm::EcdsaP256, 3650, now).expect("generate CA");
        CaMaterial { cert_pem: p.cert_pem, key_pem: p.key_pem }
    };
    let sa = pki::generate_service_account(KeyAlgorithm::EcdsaP256).expect("generate SA keys");
    ControlPlanePki {
        ca: ca(CaRole::Kubernetes),
        front_proxy_ca: ca(CaRole::FrontProxy),
        etcd_ca: ca(CaRole::Etcd),
        sa_public_pem: sa.public_pem,
        sa_private_pem: sa.private_pem,
    }
}

fn spec(role: Role, os: OperatingSystem, pki: &ControlPlanePki) -> NodeSpec {
    let bin = artifacts::bin_dir(os);
    let file = |name: &str| RemoteFile {
        path: format!("{bin}/{name}"),
        url: format!("https://artifacts.example.com/v1.31.4/{name}"),
        sha512: "ab".repeat(64),
        mode: 0o755,
        extract_to: None,
    };
    let mut s = fixtures::node_spec(role, os, "v1.31.4");
    s.cluster.name = "bench".into();
    s.cluster.control_plane_endpoint = "api.bench.example.com:6443".into();
    s.pki = role.is_control_plane().then(|| pki.clone());
    s.ca_cert_hashes = vec![pki::ca_cert_hash(&pki.ca.cert_pem).expect("hash")];
    s.bootstrap_token.expires = Some("2030-01-01T00:00:00Z".into());
    s.node = NodeOptions { name_from: NameFrom::Aws, ..NodeOptions::default() };
    s.artifacts = Artifacts::Remote(vec![file("kubeadm"), file("kubelet"), file("kubectl")]);
    s
}

fn main() {
    let pki = pki_material();
    println!(
        "render (kubeadm documents + Ignition), one thread, Kubernetes v1.31.4, ECDSA-P256 PKI, 3 fetched binaries"
    );
    println!("{:<14} {:<14} {:>8} {:>12} {:>14} {:>10}", "role", "os", "runs", "median us", "configs/s", "bytes");
    for os in [OperatingSystem::Flatcar, OperatingSystem::FedoraCoreos] {
        for role in Role::ALL {
            let s = spec(role, os, &pki);
            let render = || {
                let yaml = kubeadm::render(&s).expect("kubeadm render");
                ignition::render(&s, &yaml).expect("ignition render").json
            };
            let size = render().len();
            // Warm up, then time single renders.
            for _ in 0..200 {
                std::hint::black_box(render());
            }
            let runs = 3000;
            let mut times = Vec::with_capacity(runs);
            let start = Instant::now();
            for _ in 0..runs {
                let t = Instant::now();
                std::hint::black_box(render());
                times.push(t.elapsed().as_nanos() as u64);
            }
            let total = start.elapsed().as_secs_f64();
            times.sort_unstable();
            let median_us = times[runs / 2] as f64 / 1000.0;
            println!(
                "{:<14} {:<14} {:>8} {:>12.1} {:>14.0} {:>10}",
                role.as_str(),
                os.as_str(),
                runs,
                median_us,
                runs as f64 / total,
                size
            );
        }
    }
}
