//! Artifacts manifests read once per provider process: every node of a
//! configuration usually names the same `manifest_url`, and Terraform plans
//! and applies each node in several calls, so reading the manifest per call
//! meant thousands of identical downloads for a thousand nodes. Concurrent
//! callers for one URL share a single read.
//!
//! A provider process started by Terraform lives for one command; a debug
//! server that outlives many commands reads a manifest again once the entry
//! is [`FRESH_FOR`] old, so edits show up. Failures are kept for as long as
//! successes: within one command every node sees the same answer, and an
//! unreachable server costs one timeout, not one per node.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::bootstrap::artifacts::Unread;

/// How long a manifest (or the reason it could not be read) is reused.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

type Read = Result<Vec<u8>, Unread>;

struct Entry {
    created: Instant,
    read: OnceCell<Read>,
}

/// URL → the manifest's bytes, or why they could not be read.
#[derive(Default)]
pub struct ManifestCache {
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

impl ManifestCache {
    /// The manifest at `url`, read with `fetch` unless a fresh entry exists.
    pub async fn get<F, Fut>(&self, url: &str, fetch: F) -> Read
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Read>,
    {
        let entry = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.get(url) {
                Some(e) if e.created.elapsed() < FRESH_FOR => e.clone(),
                _ => {
                    let e = Arc::new(Entry { created: Instant::now(), read: OnceCell::new() });
                    entries.insert(url.to_string(), e.clone());
                    e
                }
            }
        };
        entry.read.get_or_init(fetch).await.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn reads_each_url_once() {
        let cache = ManifestCache::default();
        let reads = AtomicUsize::new(0);
        let fetch = |body: &'static str| {
            let reads = &reads;
            move || async move {
                reads.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Ok(body.as_bytes().to_vec())
            }
        };
        let (a, b) = tokio::join!(cache.get("https://a/m.json", fetch("a")), cache.get("https://a/m.json", fetch("a")));
        assert_eq!((a.unwrap(), b.unwrap()), (b"a".to_vec(), b"a".to_vec()));
        assert_eq!(cache.get("https://a/m.json", fetch("x")).await.unwrap(), b"a".to_vec());
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        assert_eq!(cache.get("https://b/m.json", fetch("b")).await.unwrap(), b"b".to_vec());
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_are_shared_too() {
        let cache = ManifestCache::default();
        let reads = AtomicUsize::new(0);
        for _ in 0..3 {
            let got = cache
                .get("https://down/m.json", || async {
                    reads.fetch_add(1, Ordering::SeqCst);
                    Err(Unread::Unreadable("connection refused".to_string()))
                })
                .await;
            assert_eq!(got.unwrap_err().reason(), "connection refused");
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }
}
