//! Timing of bootstrap-token work on one thread: generating a token from the
//! operating system's CSPRNG (as `kubeadm_bootstrap_token` does), parsing a
//! user-supplied one, and rendering the kube-system Secret manifest.
//!
//! Run with `cargo bench --bench token`. Each row prints the number of runs,
//! the median time per operation in microseconds and the throughput.

use std::time::{Duration, Instant};

use terraform_provider_kubeadm::bootstrap::token::{self, BootstrapToken};
use time::OffsetDateTime;

/// Operations per timed batch; a single token is too quick to time alone.
const BATCH: usize = 1000;
/// Timed batches per row.
const BATCHES: usize = 50;

/// Runs `op` in `BATCHES` batches of `BATCH` calls; returns the time per call
/// of each batch, and the calls per second over all batches.
fn time_batches(mut op: impl FnMut()) -> (Vec<Duration>, f64) {
    for _ in 0..BATCH {
        op();
    }
    let mut per_op = Vec::with_capacity(BATCHES);
    let start = Instant::now();
    for _ in 0..BATCHES {
        let t = Instant::now();
        for _ in 0..BATCH {
            op();
        }
        per_op.push(t.elapsed() / BATCH as u32);
    }
    let rate = (BATCH * BATCHES) as f64 / start.elapsed().as_secs_f64();
    (per_op, rate)
}

fn print_row(name: &str, samples: &mut [Duration], rate: f64) {
    samples.sort();
    let median = samples[samples.len() / 2];
    println!("{name:<26} {:>8} {:>11.2} {:>14.0}", BATCH * BATCHES, median.as_secs_f64() * 1e6, rate);
}

fn main() {
    println!("{:<26} {:>8} {:>11} {:>14}", "operation", "runs", "median us", "per second");

    let mut rng = rand::rng();
    let (mut s, rate) = time_batches(|| {
        std::hint::black_box(BootstrapToken::generate(&mut rng));
    });
    print_row("generate (CSPRNG)", &mut s, rate);

    let text = BootstrapToken::generate(&mut rand::rng()).to_token_string();
    let (mut s, rate) = time_batches(|| {
        std::hint::black_box(BootstrapToken::parse(std::hint::black_box(text.expose())).expect("valid token"));
    });
    print_row("parse", &mut s, rate);

    let tok = BootstrapToken::generate(&mut rand::rng());
    let usages = vec!["signing".to_string(), "authentication".to_string()];
    let groups = vec!["system:bootstrappers:kubeadm:default-node-token".to_string()];
    let expires = Some(OffsetDateTime::now_utc() + time::Duration::hours(24));
    let (mut s, rate) = time_batches(|| {
        std::hint::black_box(token::secret_manifest(&tok, Some("bench"), expires, &usages, &groups));
    });
    print_row("secret_manifest", &mut s, rate);

    let mut rng = rand::rng();
    let (mut s, rate) = time_batches(|| {
        let t = BootstrapToken::generate(&mut rng);
        std::hint::black_box(token::secret_manifest(&t, Some("bench"), expires, &usages, &groups));
    });
    print_row("generate + manifest", &mut s, rate);
}
