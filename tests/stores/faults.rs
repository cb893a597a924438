//! Faults in the middle of a large apply of `kubeadm_ignition_config` on the
//! S3 store (s3s-fs: a real S3 server on a local directory, so the bucket can
//! be listed from disk even while the server is down). Terraform starts the
//! provider itself from a filesystem mirror, as for a user.
//!
//! - the provider process is killed (SIGKILL) mid-apply;
//! - the S3 server is killed mid-apply and started again on the same port;
//! - Ctrl-C (SIGINT to the process group) mid-apply;
//! - the S3 server stops answering: a proxy forwards requests but holds every
//!   answer back, so the provider's own timeouts (attempt 30 s, operation
//!   60 s) must end the apply with an error naming the bucket and key.
//!
//! The cases run one at a time (see [`serial`]): each 80-node apply loads
//! both cores, and no deadline here may be a race with a sibling test.
//!
//! What must hold afterwards, whatever the fault: every node recorded in the
//! state has its object in the bucket, with the recorded hash; after one more
//! apply the bucket holds exactly the recorded objects (no orphan), and the
//! plan is empty; destroy empties the bucket.
//!
//! `s3_faults.rs` covers single updates against a dead server, wrong
//! credentials and 5xx retries; `interrupt.rs` covers SIGINT on the local
//! store.

use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::Digest;
use support::hcl::{s3_provider, Node, CA_AND_TOKEN};
use support::{config, install_mirror, terraforms, Run, S3sFs, State, Terraform, WorkDir};

const BUCKET: &str = "faults";
const PREFIX: &str = "ignition/";
const NODE_TYPE: &str = "kubeadm_ignition_config";

/// A store, a CA, a token and `workers` worker nodes with distinct names and
/// labels (so distinct objects), plus `extra` appended verbatim.
fn body(endpoint: &str, workers: usize, label: &str, extra: &str) -> String {
    let store = s3_provider(BUCKET, endpoint, &[("prefix", "\"ignition\""), ("server_side_encryption", "\"none\"")]);
    let node = Node::resource("w", "worker")
        .attr("count", workers.to_string())
        .attr("name", "\"w-${count.index}\"")
        .block(format!("node {{\n    labels = {{ index = \"${{count.index}}\", rev = \"{label}\" }}\n  }}"));
    config(&format!("{store}{CA_AND_TOKEN}{node}{extra}\n"))
}

/// A working directory on `tf` with the provider in a filesystem mirror,
/// reaching s3s-fs through `endpoint`, initialised.
fn workdir(tf: &Terraform, s3: &S3sFs, config: &str) -> WorkDir {
    let mut wd = WorkDir::new(tf);
    install_mirror(&wd);
    wd.env = s3.provider_env();
    wd.write_config(config);
    wd.ok_direct(&["init", "-input=false", "-no-color"]);
    wd
}

fn state(wd: &WorkDir) -> State {
    State::parse(wd.ok_direct(&["show", "-json", "-no-color"]).stdout.as_bytes())
}

/// The node objects a state records: full key → (sha512, object_url).
fn recorded(s: &State) -> BTreeMap<String, (String, String)> {
    s.resources
        .iter()
        .filter(|(addr, _)| addr.starts_with(&format!("{NODE_TYPE}.")))
        .map(|(addr, v)| {
            let id = v["id"].as_str().unwrap_or_else(|| panic!("{addr} has no id in state: {v}"));
            let sha = v["rendered_sha512"].as_str().unwrap_or_else(|| panic!("{addr} has no hash in state: {v}"));
            let url = v["object_url"].as_str().unwrap_or_else(|| panic!("{addr} has no object_url in state: {v}"));
            (format!("{PREFIX}{id}"), (sha.to_string(), url.to_string()))
        })
        .collect()
}

/// Every node in the state has its object in the bucket, with the recorded
/// hash and URL. Returns the objects in the bucket that the state does not
/// record.
fn assert_recorded_are_stored(s3: &S3sFs, s: &State, when: &str) -> Vec<String> {
    let rec = recorded(s);
    let stored = s3.objects(BUCKET);
    for (key, (sha, url)) in &rec {
        let bytes = s3
            .object(BUCKET, key)
            .unwrap_or_else(|| panic!("{when}: {key} is recorded in the state but not in the bucket ({stored:?})"));
        assert_eq!(&hex::encode(sha2::Sha512::digest(&bytes)), sha, "{when}: the stored bytes of {key}");
        assert_eq!(url, &format!("s3://{BUCKET}/{key}"), "{when}: object_url of {key}");
    }
    stored.into_iter().filter(|k| !rec.contains_key(k)).collect()
}

/// The bucket holds exactly the objects the state records.
fn assert_no_orphans(s3: &S3sFs, s: &State, when: &str) {
    let orphans = assert_recorded_are_stored(s3, s, when);
    assert!(orphans.is_empty(), "{when}: objects in the bucket that no state records: {orphans:?}");
}

fn plan_code(wd: &WorkDir) -> Run {
    wd.run_direct(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
}

/// One more apply converges: all `workers` nodes recorded and stored, no
/// orphan, an empty plan; then destroy empties the bucket.
fn converge_and_destroy(wd: &WorkDir, s3: &S3sFs, workers: usize, what: &str) {
    let started = Instant::now();
    wd.ok_direct(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let s = state(wd);
    let nodes = recorded(&s).len();
    assert_eq!(nodes, workers, "{what}: the re-apply did not record every node");
    assert_no_orphans(s3, &s, &format!("{what}, after the re-apply"));
    let plan = plan_code(wd);
    assert_eq!(plan.code, 0, "{what}: plan after the re-apply is not empty:\n{}", plan.combined());
    eprintln!("[{what}] re-apply and plan: {:.1?}", started.elapsed());
    wd.ok_direct(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(s3.objects(BUCKET).is_empty(), "{what}: destroy left objects: {:?}", s3.objects(BUCKET));
}

// ---------------------------------------------------------------------------
// A Terraform command watched line by line

/// A Terraform command started in its own process group (like a shell job),
/// its stdout delivered line by line.
struct Watched {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    stdout: String,
    /// `kubeadm_ignition_config` creations and updates completed so far.
    nodes_done: usize,
}

impl Watched {
    fn start(wd: &WorkDir, args: &[&str]) -> Watched {
        let mut cmd = wd.command(args);
        cmd.process_group(0).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start terraform");
        let out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Watched { child, lines, stderr: Some(stderr), stdout: String::new(), nodes_done: 0 }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the next line until `deadline`: `Some(true)` for a line,
    /// `Some(false)` once the output has ended, `None` at the deadline.
    fn poll_line(&mut self, deadline: Instant) -> Option<bool> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                if line.starts_with(NODE_TYPE)
                    && (line.contains("Creation complete") || line.contains("Modifications complete"))
                {
                    self.nodes_done += 1;
                }
                self.stdout.push_str(&line);
                self.stdout.push('\n');
                Some(true)
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Some(false),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
        }
    }

    /// Waits for the next line; false once the output has ended. Kills the
    /// command and fails at the deadline.
    fn next_line(&mut self, deadline: Instant) -> bool {
        match self.poll_line(deadline) {
            Some(more) => more,
            None => {
                self.signal_group("KILL");
                panic!("terraform did not finish in time; output so far:\n{}", self.stdout);
            }
        }
    }

    /// Keeps reading (so the pipe never fills) until `until`.
    fn read_until(&mut self, until: Instant) {
        while Instant::now() < until {
            if self.poll_line(until) == Some(false) {
                std::thread::sleep(until.saturating_duration_since(Instant::now()));
            }
        }
    }

    /// Reads lines until `n` nodes are done; false when the command ended first.
    fn until_nodes(&mut self, n: usize, deadline: Instant) -> bool {
        while self.nodes_done < n {
            if !self.next_line(deadline) {
                return false;
            }
        }
        true
    }

    /// Reads the rest and waits for the exit.
    fn finish(mut self, deadline: Instant) -> Run {
        while self.next_line(deadline) {}
        let status = self.child.wait().expect("wait for terraform");
        let stderr = self.stderr.take().and_then(|h| h.join().ok()).unwrap_or_default();
        Run { code: status.code().unwrap_or(-1), stdout: std::mem::take(&mut self.stdout), stderr }
    }

    /// Signals the whole process group (Terraform and the providers it started).
    fn signal_group(&self, signal: &str) {
        let pgid = self.pid();
        // `--` matters: without it some `kill` builds read "-PGID" as an option.
        assert!(pgid > 1, "refusing to signal process group {pgid}");
        let _ = std::process::Command::new("kill").args(["-s", signal, "--", &format!("-{pgid}")]).status();
    }
}

impl Drop for Watched {
    /// A failed check leaves no Terraform (or provider) running behind it.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal_group("KILL");
            let _ = self.child.wait();
        }
    }
}

/// The pids of the processes below `root` whose command line names the
/// provider binary.
fn provider_pids_under(root: u32) -> Vec<u32> {
    let mut parent: BTreeMap<u32, u32> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
            parent.insert(pid, ppid);
        }
    }
    let descends = |mut pid: u32| {
        for _ in 0..64 {
            match parent.get(&pid) {
                Some(&p) if p == root => return true,
                Some(&p) if p > 1 => pid = p,
                _ => return false,
            }
        }
        false
    };
    parent
        .keys()
        .copied()
        .filter(|&pid| descends(pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains("terraform-provider-kubeadm"))
                .unwrap_or(false)
        })
        .collect()
}

/// Held by every test of this file for its whole run: the cases run one
/// after another, so the deadlines below (hang guards sized for one case
/// on two cores) never race a sibling's 80-node apply.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `case` on every Terraform found, one after another, printing the time each took.
fn on_every_terraform(name: &str, case: fn(&Terraform)) {
    let _serial = serial();
    for tf in terraforms() {
        let started = Instant::now();
        case(&tf);
        eprintln!("[{name}] Terraform {}: {:.1?}", tf.version, started.elapsed());
    }
}

// ---------------------------------------------------------------------------
// SIGKILL of the provider

const KILL_WORKERS: usize = 80;

/// The provider process dies (SIGKILL) while Terraform applies 80 nodes.
/// Terraform reports the crash; the nodes it recorded are stored; the ones in
/// flight may have been uploaded without being recorded, and the next apply
/// uploads them again under the same content-addressed key, so nothing is
/// orphaned.
#[test]
fn provider_killed_mid_apply() {
    on_every_terraform("provider_killed_mid_apply", provider_killed_mid_apply_on);
}

fn provider_killed_mid_apply_on(tf: &Terraform) {
    let s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    let wd = workdir(tf, &s3, &body(&s3.endpoint(), KILL_WORKERS, "a", ""));
    let what = format!("SIGKILL on {}", tf.version);
    let deadline = Instant::now() + Duration::from_secs(120);

    let mut apply = Watched::start(&wd, &["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=4"]);
    assert!(apply.until_nodes(10, deadline), "{what}: the apply ended before 10 nodes:\n{}", apply.stdout);
    let pids = provider_pids_under(apply.pid());
    assert!(!pids.is_empty(), "{what}: no provider process found below terraform ({})", apply.pid());
    for pid in &pids {
        assert!(*pid > 1);
        let ok = std::process::Command::new("kill").args(["-s", "KILL", "--", &pid.to_string()]).status();
        assert!(ok.is_ok_and(|s| s.success()), "{what}: could not kill provider {pid}");
    }
    let run = apply.finish(deadline);
    let text = run.combined();
    assert_ne!(run.code, 0, "{what}: the apply succeeded although its provider was killed:\n{text}");
    // Depending on the moment, Terraform sees the dead connection as a
    // crash, as no answer, or as cancelled requests: the applies in flight,
    // or (Terraform 1.11) only the per-resource validations it still had to
    // make.
    assert!(
        ["plugin crashed", "Plugin did not respond", "request was cancelled"].iter().any(|m| text.contains(m)),
        "{what}: Terraform did not report the provider's death:\n{text}"
    );

    let s = state(&wd);
    let nodes = recorded(&s).len();
    assert!((10..KILL_WORKERS).contains(&nodes), "{what}: expected a partial apply, {nodes} nodes recorded:\n{text}");
    assert!(
        s.resources.contains_key("kubeadm_cluster_ca.ca") && s.resources.contains_key("kubeadm_bootstrap_token.join")
    );
    let unrecorded = assert_recorded_are_stored(&s3, &s, &format!("{what}, after the kill"));
    eprintln!("[{what}] killed {pids:?}: {nodes} nodes recorded, {} uploaded but unrecorded", unrecorded.len());
    converge_and_destroy(&wd, &s3, KILL_WORKERS, &what);
}

// ---------------------------------------------------------------------------
// The S3 server dies mid-apply and comes back

const RESTART_WORKERS: usize = 80;

/// s3s-fs is killed while Terraform applies 80 nodes, stays down for 6 s
/// (about the provider's retry backoff between five attempts, up to 1, 2, 4
/// and 8 s with jitter: some uploads may run out of attempts while others
/// survive), and starts again on the same port and directory. Whatever the apply reports, the state is consistent, and one
/// more apply converges without orphans.
#[test]
fn s3_server_restarted_mid_apply() {
    on_every_terraform("s3_server_restarted_mid_apply", s3_server_restarted_mid_apply_on);
}

fn s3_server_restarted_mid_apply_on(tf: &Terraform) {
    let mut s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    let wd = workdir(tf, &s3, &body(&s3.endpoint(), RESTART_WORKERS, "a", ""));
    let what = format!("S3 restart on {}", tf.version);
    let deadline = Instant::now() + Duration::from_secs(180);

    let mut apply = Watched::start(&wd, &["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=4"]);
    assert!(apply.until_nodes(10, deadline), "{what}: the apply ended before 10 nodes:\n{}", apply.stdout);
    s3.stop();
    // Keep reading while the server is down.
    apply.read_until(Instant::now() + Duration::from_secs(6));
    let done_while_down = apply.nodes_done;
    s3.restart();
    let run = apply.finish(deadline);
    let text = run.combined();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if run.code != 0 {
        // Every failure is a connection failure naming the bucket and a node's key.
        assert!(
            flat.contains(&format!("S3 put of s3://{BUCKET}/{PREFIX}prod/worker/w-")),
            "{what}: the failure names no object:\n{text}"
        );
        assert!(
            flat.contains("failed with ConnectionFailed") || flat.contains("failed with Timeout"),
            "{what}: the failure names no connection problem:\n{text}"
        );
    }
    for bad in ["panic", "plugin crashed", "Plugin did not respond"] {
        assert!(!text.contains(bad), "{what}: the provider did not survive the outage ({bad}):\n{text}");
    }
    let s = state(&wd);
    let nodes = recorded(&s).len();
    let unrecorded = assert_recorded_are_stored(&s3, &s, &format!("{what}, after the outage"));
    let failures = text.matches("Error: ").count();
    eprintln!(
        "[{what}] apply exit {}: {nodes} nodes recorded ({done_while_down} done by the end of the outage), {failures} errors, {} uploaded but unrecorded",
        run.code,
        unrecorded.len()
    );
    assert_eq!(nodes + failures, RESTART_WORKERS, "{what}: every node is either recorded or reported failed:\n{text}");
    converge_and_destroy(&wd, &s3, RESTART_WORKERS, &what);
}

// ---------------------------------------------------------------------------
// Ctrl-C mid-apply

const INTERRUPT_WORKERS: usize = 80;

/// The whole process group gets SIGINT while Terraform applies 80 nodes: the
/// provider survives, Terraform stops scheduling new nodes and finishes the
/// ones in flight; what it recorded is stored, and one more apply converges.
#[test]
fn sigint_mid_apply_on_s3() {
    on_every_terraform("sigint_mid_apply_on_s3", sigint_mid_apply_on_s3_on);
}

fn sigint_mid_apply_on_s3_on(tf: &Terraform) {
    let s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    let wd = workdir(tf, &s3, &body(&s3.endpoint(), INTERRUPT_WORKERS, "a", ""));
    let what = format!("SIGINT on {}", tf.version);
    let deadline = Instant::now() + Duration::from_secs(120);

    let mut apply = Watched::start(&wd, &["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=2"]);
    assert!(apply.until_nodes(10, deadline), "{what}: the apply ended before 10 nodes:\n{}", apply.stdout);
    apply.signal_group("INT");
    let run = apply.finish(deadline);
    let text = run.combined();
    assert_ne!(run.code, 0, "{what}: an interrupted apply should fail:\n{text}");
    assert!(text.contains("Interrupt received"), "{what}: Terraform did not see the interrupt:\n{text}");
    for bad in ["Plugin did not respond", "plugin crashed", "panic", "connection refused"] {
        assert!(!text.contains(bad), "{what}: the provider did not survive SIGINT ({bad}):\n{text}");
    }
    let s = state(&wd);
    let nodes = recorded(&s).len();
    assert!((10..INTERRUPT_WORKERS).contains(&nodes), "{what}: expected a partial apply, {nodes} recorded");
    // Terraform waits for the nodes in flight, so nothing is uploaded unrecorded.
    let unrecorded = assert_recorded_are_stored(&s3, &s, &format!("{what}, after the interrupt"));
    assert!(unrecorded.is_empty(), "{what}: uploaded but not recorded after a graceful stop: {unrecorded:?}");
    eprintln!("[{what}] {nodes} nodes recorded");
    converge_and_destroy(&wd, &s3, INTERRUPT_WORKERS, &what);
}

// ---------------------------------------------------------------------------
// A server that stops answering

/// What the proxy does with the bytes it relays.
const RELAY: u8 = 0;
/// Forward requests to the server, but never pass an answer back.
const HOLD_ANSWERS: u8 = 1;
/// Forward everything, each chunk of an answer delayed by [`SLOW_DELAY`].
const SLOW: u8 = 2;
const SLOW_DELAY: Duration = Duration::from_millis(1500);

/// A TCP proxy on a loopback port in front of s3s-fs. Its mode applies to
/// every connection, old and new, from the next chunk of bytes on.
struct Proxy {
    port: u16,
    mode: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    /// Every PUT request forwarded: the mode at the time and the target
    /// without its query (e.g. `/faults/ignition/prod/worker/w-0-....ign`).
    puts: Arc<Mutex<Vec<(u8, String)>>>,
}

impl Proxy {
    fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let port = listener.local_addr().expect("proxy address").port();
        let mode = Arc::new(AtomicU8::new(RELAY));
        let stop = Arc::new(AtomicBool::new(false));
        let puts = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (mode, stop, puts) = (mode.clone(), stop.clone(), puts.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let (mode, stop, puts) = (mode.clone(), stop.clone(), puts.clone());
                            std::thread::spawn(move || connection(client, upstream, mode, stop, puts));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        Proxy { port, mode, stop, acceptor: Some(acceptor), puts }
    }

    /// The PUT requests forwarded while in `mode`, per target: how many.
    fn puts_in(&self, mode: u8) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (m, target) in self.puts.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            if *m == mode {
                *out.entry(target.clone()).or_insert(0) += 1;
            }
        }
        out
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}

/// The targets (without query) of the HTTP PUT request lines in `chunk`:
/// at its start or after a line break (a request's head arrives in one
/// chunk on loopback; an Ignition config's JSON body holds no such line).
fn put_targets(chunk: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(chunk);
    text.split('\n')
        .filter_map(|line| line.strip_prefix("PUT "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(|target| target.split('?').next().unwrap_or(target).to_string())
        .collect()
}

/// Relays one connection both ways until either side closes or the proxy
/// stops, recording the PUT requests it forwards.
fn connection(
    client: TcpStream,
    upstream: u16,
    mode: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    puts: Arc<Mutex<Vec<(u8, String)>>>,
) {
    let _ = client.set_nonblocking(false);
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
    let pump = |from: TcpStream, to: TcpStream, answers: bool, mode: Arc<AtomicU8>, stop: Arc<AtomicBool>| {
        let puts = puts.clone();
        std::thread::spawn(move || {
            let _ = from.set_read_timeout(Some(Duration::from_millis(200)));
            let mut buf = [0u8; 16 * 1024];
            let mut from = from;
            let mut to = to;
            loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let n = match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                        continue
                    }
                    Err(_) => break,
                };
                if !answers {
                    let now = mode.load(Ordering::SeqCst);
                    for target in put_targets(&buf[..n]) {
                        puts.lock().unwrap_or_else(|e| e.into_inner()).push((now, target));
                    }
                }
                if answers {
                    match mode.load(Ordering::SeqCst) {
                        // Swallowed: the client waits for an answer that never comes.
                        HOLD_ANSWERS => continue,
                        SLOW => std::thread::sleep(SLOW_DELAY),
                        _ => {}
                    }
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        })
    };
    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else { return };
    let up = pump(client, server, false, mode.clone(), stop.clone());
    let down = pump(s2, c2, true, mode, stop);
    let _ = up.join();
    let _ = down.join();
}

/// The S3 server takes every request and never answers. An apply that
/// updates one node and creates another (without refresh, so only uploads
/// are sent) must fail, naming the bucket, both keys and `Timeout`, after
/// exactly two attempts per upload (the 30 s attempt timeout, one retry,
/// then the 60 s operation timeout ends it: counted at the proxy, not
/// timed); the state is unchanged. The uploads
/// did reach the server, so the bucket briefly holds unrecorded objects;
/// once the server answers again, one apply records them, removes the
/// replaced object and converges. A server that is slow but within the
/// timeouts (1.5 s per answer chunk) is merely slow.
#[test]
fn unanswered_requests_time_out() {
    let _serial = serial();
    // The case mostly waits for timeouts: the versions run side by side.
    let threads: Vec<(String, JoinHandle<()>)> = terraforms()
        .into_iter()
        .map(|tf| {
            let version = tf.version.clone();
            let handle = std::thread::Builder::new()
                .name(format!("terraform-{version}"))
                .spawn(move || unanswered_requests_time_out_on(&tf))
                .expect("start a thread");
            (version, handle)
        })
        .collect();
    let failed: Vec<String> = threads.into_iter().filter_map(|(v, h)| h.join().is_err().then_some(v)).collect();
    assert!(failed.is_empty(), "failed on Terraform {failed:?} (see the panics above)");
}

/// Connect 5 s, attempt 30 s, operation 60 s (src/bootstrap/store/s3.rs):
/// the operation timeout bounds an upload whatever the server does.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
/// The attempts that fit in the operation timeout: the first, and one retry
/// after its attempt timeout (the standard retry mode would allow five).
const ATTEMPTS_IN_TIME: usize = 2;
/// A hang guard only, generous for a loaded machine: what the timeouts do is
/// checked by counting attempts.
const HANG_GUARD: Duration = Duration::from_secs(4 * OPERATION_TIMEOUT.as_secs());

fn unanswered_requests_time_out_on(tf: &Terraform) {
    let what = format!("unanswered requests on {}", tf.version);
    let s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    let proxy = Proxy::start(s3.port);
    let second = |endpoint: &str| {
        format!(
            r#"
resource "kubeadm_ignition_config" "late" {{
  role            = "worker"
  name            = "late"
  cluster_ca      = kubeadm_cluster_ca.ca
  bootstrap_token = kubeadm_bootstrap_token.join
  cluster {{
    name                   = "prod"
    kubernetes_version     = "v1.31.4"
    control_plane_endpoint = "{endpoint}"
  }}
}}
"#
        )
    };
    let wd = workdir(tf, &s3, &body(&proxy.endpoint(), 1, "a", ""));
    let started = Instant::now();
    wd.ok_direct(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let before = state(&wd);
    assert_no_orphans(&s3, &before, &format!("{what}, first apply"));
    let old_key = recorded(&before).keys().next().cloned().unwrap();
    eprintln!("[{what}] healthy apply: {:.1?}", started.elapsed());

    // Slow, within the timeouts: fine.
    proxy.set(SLOW);
    let started = Instant::now();
    let plan = plan_code(&wd);
    assert_eq!(plan.code, 0, "{what}: plan through a slow server:\n{}", plan.combined());
    eprintln!("[{what}] plan through a slow server: {:.1?}", started.elapsed());

    // No answers at all.
    proxy.set(HOLD_ANSWERS);
    wd.write_config(&body(&proxy.endpoint(), 1, "b", &second("api.prod.example.com:6443")));
    let started = Instant::now();
    let r = wd.run_direct(&["apply", "-auto-approve", "-input=false", "-no-color", "-refresh=false"]);
    let took = started.elapsed();
    let text = r.combined();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("[{what}] apply against a silent server failed after {took:.1?}");
    assert_ne!(r.code, 0, "{what}: the apply succeeded:\n{text}");
    // Each upload was tried exactly twice: the attempt timeout ended the
    // first, the operation timeout the retry (else up to five attempts).
    let attempts = proxy.puts_in(HOLD_ANSWERS);
    let keys: Vec<&String> = attempts.keys().collect();
    assert!(
        keys.len() == 2
            && keys.iter().any(|k| k.starts_with(&format!("/{BUCKET}/{PREFIX}prod/worker/w-0-")))
            && keys.iter().any(|k| k.starts_with(&format!("/{BUCKET}/{PREFIX}prod/worker/late-"))),
        "{what}: the silent server saw uploads of {attempts:?}, not of the two nodes"
    );
    assert!(
        attempts.values().all(|&n| n == ATTEMPTS_IN_TIME),
        "{what}: attempts per upload {attempts:?}, not {ATTEMPTS_IN_TIME} (attempt timeout, one retry, operation timeout)"
    );
    // Waiting can only be longer on a loaded machine: at least the first
    // attempt's timeout; the upper bound is a hang guard.
    assert!(
        took >= ATTEMPT_TIMEOUT - Duration::from_secs(5) && took <= HANG_GUARD,
        "{what}: the failure took {took:?}, not the provider's timeouts:\n{text}"
    );
    for needle in [
        format!("S3 put of s3://{BUCKET}/{PREFIX}prod/worker/w-0-"),
        format!("S3 put of s3://{BUCKET}/{PREFIX}prod/worker/late-"),
        "failed with Timeout".to_string(),
        "re-run apply".to_string(),
    ] {
        assert!(flat.contains(&needle), "{what}: the error lacks {needle:?}:\n{text}");
    }
    assert!(!text.contains("panic") && !text.contains("crashed"), "{what}: the provider crashed:\n{text}");
    // Two attempts timed out, not five: the hint must not claim otherwise.
    assert!(!flat.contains("after 5 attempts"), "{what}: the hint miscounts the attempts:\n{text}");
    if let Some(i) = flat.find("S3 put of") {
        eprintln!("[{what}] the error: {}", &flat[i..flat.len().min(i + 400)]);
    }
    let after = state(&wd);
    assert_eq!(after.resources, before.resources, "{what}: a timed-out apply changed the state");
    let unrecorded = assert_recorded_are_stored(&s3, &after, &format!("{what}, after the timeouts"));
    assert!(s3.object(BUCKET, &old_key).is_some(), "{what}: the old object is gone");
    eprintln!("[{what}] uploaded but unanswered: {unrecorded:?}");

    proxy.set(RELAY);
    wd.ok_direct(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let s = state(&wd);
    assert_eq!(recorded(&s).len(), 2, "{what}: the healthy apply did not record both nodes");
    assert_no_orphans(&s3, &s, &format!("{what}, after the healthy apply"));
    assert!(s3.object(BUCKET, &old_key).is_none(), "{what}: the replaced object was not removed");
    let plan = plan_code(&wd);
    assert_eq!(plan.code, 0, "{what}: plan after recovery is not empty:\n{}", plan.combined());
    wd.ok_direct(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(s3.objects(BUCKET).is_empty(), "{what}: destroy left objects: {:?}", s3.objects(BUCKET));
}
