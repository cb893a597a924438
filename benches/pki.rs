//! Timing of the cluster PKI operations: CA generation for every key
//! algorithm, service-account key generation and the discovery hash.
//!
//! Run with `cargo bench --bench pki`. Each row prints the number of runs
//! and the median, fastest and slowest run in milliseconds.

use std::time::{Duration, Instant};

use terraform_provider_kubeadm::bootstrap::pki::{
    ca_cert_hash, generate_ca, generate_service_account, CaRole, KeyAlgorithm, PkiError,
};
use time::OffsetDateTime;

/// How many CA pairs to generate per algorithm; large RSA keys are slow
/// enough that a few runs tell the story.
fn ca_runs(alg: KeyAlgorithm) -> usize {
    match alg {
        KeyAlgorithm::Rsa3072 => 5,
        KeyAlgorithm::Rsa4096 => 3,
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => 20,
    }
}

/// Runs `op` `runs` times and returns the duration of each run.
fn time_runs(runs: usize, mut op: impl FnMut() -> Result<(), PkiError>) -> Result<Vec<Duration>, PkiError> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        op()?;
        samples.push(start.elapsed());
    }
    Ok(samples)
}

/// A duration in milliseconds.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints one table row: runs, median, min and max.
fn print_row(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let n = samples.len();
    let median = if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2 };
    println!("{name:<26} {n:>5} {:>11.3} {:>10.3} {:>10.3}", ms(median), ms(samples[0]), ms(samples[n - 1]));
}

fn main() -> Result<(), PkiError> {
    let now = OffsetDateTime::now_utc();
    println!("{:<26} {:>5} {:>11} {:>10} {:>10}", "operation", "runs", "median ms", "min ms", "max ms");

    for alg in KeyAlgorithm::ALL {
        let mut samples =
            time_runs(ca_runs(alg), || generate_ca(CaRole::Kubernetes, "bench", alg, 3650, now).map(drop))?;
        print_row(&format!("generate_ca {alg}"), &mut samples);
    }

    for alg in KeyAlgorithm::ALL {
        let mut samples = time_runs(ca_runs(alg), || generate_service_account(alg).map(drop))?;
        print_row(&format!("service account {alg}"), &mut samples);
    }

    for alg in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let ca = generate_ca(CaRole::Kubernetes, "bench", alg, 3650, now)?;
        let mut samples = time_runs(1000, || ca_cert_hash(&ca.cert_pem).map(drop))?;
        print_row(&format!("ca_cert_hash {alg}"), &mut samples);
    }
    Ok(())
}
