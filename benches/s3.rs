//! Latency of the S3 store against a local moto server: `put` (with the
//! SSE, SHA-256 checksum and metadata the provider sends) and `head` (what a
//! refresh does), one request at a time and ten at a time (Terraform's
//! default parallelism), through one `S3Store` as in a provider process.
//!
//! Run with `cargo bench --bench s3`. Starts its own moto server unless
//! `KUBEADM_BENCH_S3_ENDPOINT` names one. `KUBEADM_BENCH_OBJECT_SIZE` sets the
//! object size in bytes (default 10240, about a rendered worker config);
//! `KUBEADM_BENCH_S3_RUNS` the requests per row (default 300).

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{median, ms, percentile, S3Server};
use terraform_provider_kubeadm::bootstrap::store::s3::{S3Settings, S3Store, Sse};
use terraform_provider_kubeadm::bootstrap::store::ObjectStore;

const BUCKET: &str = "kubeadm-bench-s3";
const CONCURRENCY: usize = 10;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn row(name: &str, samples: &mut [f64], rate: f64) {
    let n = samples.len();
    println!(
        "{name:<28} {n:>6} {:>10.2} {:>10.2} {:>10.2} {:>10.0}",
        median(samples),
        percentile(samples, 90.0),
        percentile(samples, 99.0),
        rate
    );
}

/// Runs `count` operations `CONCURRENCY` at a time; returns per-operation
/// latencies in ms and operations per second.
async fn concurrent<F, Fut>(count: usize, op: F) -> (Vec<f64>, f64)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return lat;
                }
                let t = Instant::now();
                op(i).await;
                lat.push(ms(t.elapsed()));
            }
        }));
    }
    let mut all = Vec::with_capacity(count);
    for t in tasks {
        all.extend(t.await.expect("bench task"));
    }
    (all, count as f64 / start.elapsed().as_secs_f64())
}

fn main() {
    let size = env_usize("KUBEADM_BENCH_OBJECT_SIZE", 10 * 1024);
    let runs = env_usize("KUBEADM_BENCH_S3_RUNS", 300);
    let server = S3Server::start();
    server.create_bucket(BUCKET);
    // The provider's runtime: two worker threads.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let settings = S3Settings {
            bucket: BUCKET.into(),
            prefix: "bench".into(),
            region: Some("us-east-1".into()),
            endpoint: Some(server.endpoint.clone()),
            force_path_style: true,
            encryption: Sse::Aes256,
            profile: None,
        };
        let build = Instant::now();
        let store =
            Arc::new(S3Store::with_static_credentials(settings, "testing", "testing", None).await.expect("S3 store"));
        let build_ms = ms(build.elapsed());
        let body: Arc<Vec<u8>> = Arc::new((0..size).map(|i| b'a' + (i % 26) as u8).collect());

        println!("S3 store against moto at {}, {size}-byte objects, SSE AES256 + SHA-256 checksum", server.endpoint);
        println!(
            "{:<28} {:>6} {:>10} {:>10} {:>10} {:>10}",
            "operation", "runs", "median ms", "p90 ms", "p99 ms", "ops/s"
        );
        println!("{:<28} {:>6} {:>10.2} {:>10} {:>10} {:>10}", "client build", 1, build_ms, "-", "-", "-");
        let t = Instant::now();
        store.put("cold/0.ign", &body).await.expect("first put");
        println!(
            "{:<28} {:>6} {:>10.2} {:>10} {:>10} {:>10}",
            "first put (new connection)",
            1,
            ms(t.elapsed()),
            "-",
            "-",
            "-"
        );

        // Warm-up, then one at a time.
        for i in 0..20 {
            store.put(&format!("warm/{i}.ign"), &body).await.expect("put");
        }
        let (mut lat, start) = (Vec::with_capacity(runs), Instant::now());
        for i in 0..runs {
            let t = Instant::now();
            store.put(&format!("seq/{i}.ign"), &body).await.expect("put");
            lat.push(ms(t.elapsed()));
        }
        row("put, 1 at a time", &mut lat, runs as f64 / start.elapsed().as_secs_f64());

        let (mut lat, start) = (Vec::with_capacity(runs), Instant::now());
        for i in 0..runs {
            let t = Instant::now();
            let info = store.head(&format!("seq/{i}.ign")).await.expect("head");
            assert!(info.is_some(), "object seq/{i}.ign missing");
            lat.push(ms(t.elapsed()));
        }
        row("head, 1 at a time", &mut lat, runs as f64 / start.elapsed().as_secs_f64());

        let (mut lat, start) = (Vec::with_capacity(runs), Instant::now());
        for i in 0..runs {
            let t = Instant::now();
            assert!(store.head(&format!("missing/{i}.ign")).await.expect("head").is_none());
            lat.push(ms(t.elapsed()));
        }
        row("head of a missing object", &mut lat, runs as f64 / start.elapsed().as_secs_f64());

        let (s, b) = (store.clone(), body.clone());
        let (mut lat, rate) = concurrent(runs, move |i| {
            let (s, b) = (s.clone(), b.clone());
            async move {
                s.put(&format!("par/{i}.ign"), &b).await.expect("put");
            }
        })
        .await;
        row(&format!("put, {CONCURRENCY} at a time"), &mut lat, rate);

        let s = store.clone();
        let (mut lat, rate) = concurrent(runs, move |i| {
            let s = s.clone();
            async move {
                assert!(s.head(&format!("par/{i}.ign")).await.expect("head").is_some());
            }
        })
        .await;
        row(&format!("head, {CONCURRENCY} at a time"), &mut lat, rate);
    });
    rt.shutdown_timeout(Duration::from_secs(1));
}
