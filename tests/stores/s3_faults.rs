//! `kubeadm_ignition_config` on the S3 store when S3 misbehaves, against
//! s3s-fs (a real S3 server on a local directory that checks signatures) and,
//! for injected answers, a small HTTP front placed between the provider and
//! s3s-fs. What must hold whatever happens: a failed apply says which bucket,
//! key and error code, the state records nothing that does not exist and
//! forgets nothing that does, a later apply converges, and the bucket never
//! holds two configs for the node (no orphan after an update).
//!
//! s3s-fs accepts server-side-encryption headers and ignores them (an
//! `AES256` or `aws:kms` upload succeeds, unencrypted), so the store asks for
//! none: nothing here is about encryption.
//!
//! Every case runs on every Terraform found, the versions side by side in
//! threads: the failing commands spend seconds in retry backoff against a
//! dead port, which would not fit the time budget one version after another.
//!
//! Needs s3s-fs (`scripts/install-s3s.sh`) and the Terraforms of
//! `scripts/install-terraform.sh`.

use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use support::hcl::{s3_provider, Node, CA_AND_TOKEN};
use support::{config, terraforms, Run, S3sFs, State, Terraform, WorkDir, S3S_ACCESS_KEY, S3S_SECRET_KEY};

const BUCKET: &str = "faults";
const W: &str = "kubeadm_ignition_config.w";
/// The key prefix of every config of the node under test.
const NODE_KEYS: &str = "ignition/prod/worker/pool-a-";
/// No single Terraform command may take longer: five attempts against a
/// dead endpoint, with backoff, take well under this.
const COMMAND_LIMIT: Duration = Duration::from_secs(90);

fn body(endpoint: &str, pool_label: &str) -> String {
    let store = s3_provider(BUCKET, endpoint, &[("prefix", "\"ignition\""), ("server_side_encryption", "\"none\"")]);
    let node = Node::resource("w", "worker")
        .attr("name", "\"pool-a\"")
        .block(format!("node {{\n    labels = {{ pool = \"{pool_label}\" }}\n  }}"));
    format!("{store}{CA_AND_TOKEN}{node}")
}

/// A working directory on `tf` whose provider reaches S3 at `endpoint` with
/// `env`, initialised.
fn workdir(tf: &Terraform, env: Vec<(String, String)>, endpoint: &str, pool_label: &str) -> WorkDir {
    let mut wd = WorkDir::new(tf);
    wd.provider_env = env;
    wd.write_config(&config(&body(endpoint, pool_label)));
    ok(&wd, &["init", "-input=false", "-no-color"]);
    wd
}

fn run(wd: &WorkDir, args: &[&str]) -> Run {
    wd.run_within(args, COMMAND_LIMIT)
}

fn ok(wd: &WorkDir, args: &[&str]) -> Run {
    let r = run(wd, args);
    assert_eq!(r.code, 0, "terraform {} failed on {}:\n{}", args.join(" "), wd.tf.version, r.combined());
    r
}

fn apply(wd: &WorkDir, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
    args.extend_from_slice(extra);
    run(wd, &args)
}

fn apply_ok(wd: &WorkDir) -> Run {
    ok(wd, &["apply", "-auto-approve", "-input=false", "-no-color"])
}

fn destroy_ok(wd: &WorkDir) {
    ok(wd, &["destroy", "-auto-approve", "-input=false", "-no-color"]);
}

fn state(wd: &WorkDir) -> State {
    State::parse(ok(wd, &["show", "-json", "-no-color"]).stdout.as_bytes())
}

fn plan_is_empty(wd: &WorkDir) -> bool {
    let r = run(wd, &["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert!(r.code == 0 || r.code == 2, "plan failed on {}:\n{}", wd.tf.version, r.combined());
    r.code == 0
}

/// Output with every run of whitespace made one space (Terraform wraps
/// long diagnostics).
fn flat(r: &Run) -> String {
    r.combined().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A failed command with a clear, non-crashing error that holds every needle.
fn assert_failed_with(r: &Run, needles: &[&str], what: &str) {
    let text = flat(r);
    assert_ne!(r.code, 0, "{what}: expected a failure, got success:\n{}", r.combined());
    for needle in needles {
        assert!(text.contains(needle), "{what}: the error lacks {needle:?}:\n{}", r.combined());
    }
    assert!(!text.contains("panic") && !text.contains("crashed"), "{what}: the provider crashed:\n{}", r.combined());
}

/// The key an S3 error message names after `s3://bucket/`.
fn key_named(r: &Run, op: &str) -> String {
    let text = flat(r);
    let marker = format!("S3 {op} of s3://{BUCKET}/");
    let start = text.find(&marker).unwrap_or_else(|| panic!("no {marker:?} in:\n{}", r.combined())) + marker.len();
    text[start..].split(' ').next().unwrap_or_default().to_string()
}

/// The full object key of the node in a state, when recorded.
fn node_key(s: &State) -> Option<String> {
    s.resources.get(W).map(|_| format!("ignition/{}", s.str(W, "id")))
}

/// The node's configs in the bucket: never more than one.
fn node_objects(s3: &S3sFs, when: &str) -> Vec<String> {
    let all = s3.objects(BUCKET);
    let node: Vec<String> = all.iter().filter(|k| k.starts_with(NODE_KEYS)).cloned().collect();
    assert!(node.len() <= 1, "{when}: the bucket holds more than one config for the node: {all:?}");
    node
}

/// The stored object is the one the state describes.
fn assert_stored(s3: &S3sFs, s: &State, when: &str) {
    let key = node_key(s).unwrap_or_else(|| panic!("{when}: {W} is not in the state"));
    assert_eq!(
        node_objects(s3, when),
        vec![key.clone()],
        "{when}: the bucket does not hold exactly the recorded config"
    );
    let bytes = s3.object(BUCKET, &key).expect("stored object");
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha512::digest(&bytes)), s.str(W, "rendered_sha512"), "{when}: stored bytes");
    assert_eq!(s.str(W, "object_url"), format!("s3://{BUCKET}/{key}"), "{when}: object_url");
}

/// The error names a failure to reach the server.
fn assert_connection_code(r: &Run, what: &str) {
    let text = flat(r);
    assert!(
        text.contains("failed with ConnectionFailed") || text.contains("failed with Timeout"),
        "{what}: the error names no connection failure:\n{}",
        r.combined()
    );
}

/// Runs `case` on every Terraform found, each in its own thread (the cases
/// mostly wait out retry backoff, so they overlap well), and fails with the
/// versions whose case failed.
fn on_every_terraform(case: fn(&Terraform)) {
    let threads: Vec<(String, JoinHandle<()>)> = terraforms()
        .into_iter()
        .map(|tf| {
            let version = tf.version.clone();
            let handle = std::thread::Builder::new()
                .name(format!("terraform-{version}"))
                .spawn(move || case(&tf))
                .expect("start a thread");
            (version, handle)
        })
        .collect();
    let failed: Vec<String> =
        threads.into_iter().filter_map(|(version, handle)| handle.join().is_err().then_some(version)).collect();
    assert!(failed.is_empty(), "failed on Terraform {failed:?} (see the panics above)");
}

/// The server dies between two applies, and the node changes meanwhile. The
/// apply fails at refresh, and with `-refresh=false` at the upload; either
/// way the state still points at the old object, which is still stored. Once
/// the server is back on the same port and directory, one apply puts the new
/// object and removes the old one (no orphan), and the plan is empty.
#[test]
fn server_stopped_during_update() {
    on_every_terraform(server_stopped_during_update_on);
}

fn server_stopped_during_update_on(tf: &Terraform) {
    let mut s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    let wd = workdir(tf, s3.provider_env(), &s3.endpoint(), "a");
    apply_ok(&wd);
    let before = state(&wd);
    assert_stored(&s3, &before, "after the first apply");
    let old_key = node_key(&before).unwrap();
    assert!(plan_is_empty(&wd), "plan after the first apply is not empty");

    s3.stop();
    wd.write_config(&config(&body(&s3.endpoint(), "b")));

    // The refresh of the existing object is the first thing to fail.
    let r = apply(&wd, &[]);
    assert_failed_with(&r, &[&format!("s3://{BUCKET}/{old_key}")], "apply with the server down");
    assert_connection_code(&r, "apply with the server down");
    assert_eq!(state(&wd).resources, before.resources, "a failed refresh changed the state");
    assert_eq!(node_objects(&s3, "after the failed refresh"), vec![old_key.clone()]);

    // Without refresh the upload of the new object is what fails.
    let r = apply(&wd, &["-refresh=false"]);
    assert_failed_with(&r, &[&format!("S3 put of s3://{BUCKET}/{NODE_KEYS}")], "apply -refresh=false, server down");
    assert_connection_code(&r, "apply -refresh=false with the server down");
    let new_key = key_named(&r, "put");
    assert_ne!(new_key, old_key, "the failed upload should be of the new config");
    assert_eq!(state(&wd).resources, before.resources, "a failed update changed the state");
    assert_eq!(node_objects(&s3, "after the failed update"), vec![old_key.clone()], "the old object is gone");

    s3.restart();
    apply_ok(&wd);
    let after = state(&wd);
    assert_eq!(node_key(&after), Some(new_key.clone()), "the recorded object is not the one the error named");
    assert_stored(&s3, &after, "after the server came back");
    assert!(plan_is_empty(&wd), "plan after recovery is not empty");
    assert_eq!(s3.objects(BUCKET), vec![new_key], "the bucket holds something besides the new config");

    destroy_ok(&wd);
    assert!(s3.objects(BUCKET).is_empty(), "destroy left objects: {:?}", s3.objects(BUCKET));
}

/// The server is down when the node is first created: the apply fails
/// clearly, the CA and token are kept, no `kubeadm_ignition_config` is
/// recorded; once the server is up, the next apply creates it.
#[test]
fn server_down_at_create() {
    on_every_terraform(server_down_at_create_on);
}

fn server_down_at_create_on(tf: &Terraform) {
    let mut s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    s3.stop();
    let wd = workdir(tf, s3.provider_env(), &s3.endpoint(), "a");
    let r = apply(&wd, &[]);
    assert_failed_with(&r, &[&format!("S3 put of s3://{BUCKET}/{NODE_KEYS}"), "re-run apply"], "create, server down");
    assert_connection_code(&r, "create with the server down");
    let key = key_named(&r, "put");
    let s = state(&wd);
    assert!(!s.resources.contains_key(W), "a failed create was recorded: {:?}", s.resources.keys());
    assert!(s.resources.contains_key("kubeadm_cluster_ca.ca"), "the CA was not kept: {:?}", s.resources.keys());
    assert!(node_objects(&s3, "after the failed create").is_empty());

    s3.restart();
    apply_ok(&wd);
    let s = state(&wd);
    assert_eq!(node_key(&s), Some(key), "the created object is not the one the error named");
    assert_stored(&s3, &s, "after the server came up");
    assert!(plan_is_empty(&wd), "plan after the create is not empty");
    destroy_ok(&wd);
    assert!(s3.objects(BUCKET).is_empty(), "destroy left objects: {:?}", s3.objects(BUCKET));
}

/// Credentials the server does not accept: a wrong secret key, then an
/// unknown access key id, fail the create with the bucket, the key and the
/// server's error code, recording nothing; a wrong secret while refreshing an
/// existing node fails the plan and leaves the state and the object alone.
#[test]
fn wrong_credentials() {
    on_every_terraform(wrong_credentials_on);
}

fn wrong_credentials_on(tf: &Terraform) {
    let s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    // s3s-fs answers an unknown access key id with `NotSignedUp` where AWS
    // says `InvalidAccessKeyId`; the provider passes on whatever code it gets.
    for (access_key, secret_key, code) in [
        (S3S_ACCESS_KEY, "not-the-secret", "SignatureDoesNotMatch"),
        ("AKIAUNKNOWNKEY000001", S3S_SECRET_KEY, "NotSignedUp"),
    ] {
        let wd = workdir(tf, s3.provider_env_with(access_key, secret_key), &s3.endpoint(), "a");
        let r = apply(&wd, &[]);
        let what = format!("create with a wrong key ({code})");
        assert_failed_with(
            &r,
            &[&format!("S3 put of s3://{BUCKET}/{NODE_KEYS}"), &format!("failed with {code}"), "credentials"],
            &what,
        );
        assert!(!flat(&r).contains("not-the-secret"), "{what}: the secret key shows in the output");
        assert!(!state(&wd).resources.contains_key(W), "{what}: a failed create was recorded");
        assert!(node_objects(&s3, &what).is_empty());
    }

    // An existing node, refreshed with a wrong secret.
    let mut wd = workdir(tf, s3.provider_env(), &s3.endpoint(), "a");
    apply_ok(&wd);
    let before = state(&wd);
    let key = node_key(&before).unwrap();
    wd.provider_env = s3.provider_env_with(S3S_ACCESS_KEY, "not-the-secret");
    let r = run(&wd, &["plan", "-input=false", "-no-color"]);
    // HEAD answers carry no body, so the code is the one of the status (403).
    assert_failed_with(&r, &[&format!("S3 head of s3://{BUCKET}/{key} failed with")], "refresh with a wrong secret");
    let text = flat(&r);
    assert!(
        ["SignatureDoesNotMatch", "AccessDenied", "Forbidden"]
            .iter()
            .any(|c| text.contains(&format!("failed with {c}"))),
        "refresh with a wrong secret: no authentication error code:\n{}",
        r.combined()
    );
    wd.provider_env = s3.provider_env();
    assert_eq!(state(&wd).resources, before.resources, "a failed refresh changed the state");
    assert_stored(&s3, &before, "after the failed refresh");
    destroy_ok(&wd);
    assert!(s3.objects(BUCKET).is_empty(), "destroy left objects: {:?}", s3.objects(BUCKET));
}

/// What the front does to the requests it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// The first `n` requests of each method get `500 InternalError`.
    FailFirst(u32),
    /// Every request with this method gets `403 AccessDenied`.
    Refuse(&'static str),
    /// Everything is forwarded.
    Pass,
}

/// One request the front saw and what it answered.
#[derive(Debug, Clone)]
struct Exchange {
    method: String,
    target: String,
    status: u16,
    injected: bool,
}

#[derive(Default)]
struct FrontState {
    per_method: BTreeMap<String, u32>,
    exchanges: Vec<Exchange>,
}

/// An HTTP front on a loopback port between the provider and s3s-fs: it
/// answers some requests itself (see [`Fault`]) and forwards the others
/// unchanged, one request per connection (answers carry `Connection: close`).
/// Stops accepting on drop; connection threads end within their socket
/// timeouts.
struct Front {
    port: u16,
    fault: Arc<Mutex<Fault>>,
    seen: Arc<Mutex<FrontState>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

/// Socket timeouts of the front: nothing it does may hang.
const FRONT_IO_TIMEOUT: Duration = Duration::from_secs(10);

impl Front {
    fn start(upstream: u16, fault: Fault) -> Front {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the front");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let port = listener.local_addr().expect("front address").port();
        let fault = Arc::new(Mutex::new(fault));
        let seen = Arc::new(Mutex::new(FrontState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (fault, seen, stop) = (fault.clone(), seen.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((conn, _)) => {
                            let (fault, seen) = (fault.clone(), seen.clone());
                            std::thread::spawn(move || {
                                let _ = serve(conn, upstream, &fault, &seen);
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        Front { port, fault, seen, stop, acceptor: Some(acceptor) }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn set_fault(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    fn exchanges(&self) -> Vec<Exchange> {
        self.seen.lock().unwrap().exchanges.clone()
    }

    /// Forgets what it saw, so a new apply can be checked alone.
    fn clear(&self) {
        self.seen.lock().unwrap().exchanges.clear();
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Reads an HTTP/1.1 message head, up to and including the empty line.
fn read_head(r: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        if r.read_until(b'\n', &mut head)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed in the head"));
        }
        if head.len() > 64 * 1024 {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "head too large"));
        }
        if &head[before..] == b"\r\n" {
            return Ok(head);
        }
    }
}

/// A header of a message head, by name.
fn header(head: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(head).lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// Reads a message body as framed by its head, returning the raw bytes
/// (chunk framing included, to forward them unchanged).
fn read_body(r: &mut impl BufRead, head: &[u8], to_eof: bool) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if header(head, "transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        loop {
            let start = body.len();
            r.read_until(b'\n', &mut body)?;
            let line = String::from_utf8_lossy(&body[start..]).into_owned();
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    let start = body.len();
                    if r.read_until(b'\n', &mut body)? == 0 || &body[start..] == b"\r\n" {
                        return Ok(body);
                    }
                }
            }
            let start = body.len();
            body.resize(start + size + 2, 0);
            r.read_exact(&mut body[start..])?;
        }
    }
    if let Some(n) = header(head, "content-length").and_then(|n| n.parse::<usize>().ok()) {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if to_eof {
        r.read_to_end(&mut body)?;
    }
    Ok(body)
}

/// The head with `Connection: close` instead of any connection header.
fn closing(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

fn status_of(head: &[u8]) -> u16 {
    String::from_utf8_lossy(head).split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Handles one client connection: one request, answered or forwarded.
fn serve(client: TcpStream, upstream: u16, fault: &Mutex<Fault>, seen: &Mutex<FrontState>) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(FRONT_IO_TIMEOUT))?;
    client.set_write_timeout(Some(FRONT_IO_TIMEOUT))?;
    let mut from_client = BufReader::new(&client);
    let mut to_client = &client;
    let head = read_head(&mut from_client)?;
    let body = read_body(&mut from_client, &head, false)?;
    let line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();

    let injected = {
        let mut s = seen.lock().unwrap();
        let nth = s.per_method.entry(method.clone()).or_default();
        *nth += 1;
        match *fault.lock().unwrap() {
            Fault::FailFirst(n) if *nth <= n => Some((500, "Internal Server Error", "InternalError")),
            Fault::Refuse(m) if m == method => Some((403, "Forbidden", "AccessDenied")),
            _ => None,
        }
    };
    let record = |status: u16, injected: bool| {
        seen.lock().unwrap().exchanges.push(Exchange {
            method: method.clone(),
            target: target.clone(),
            status,
            injected,
        });
    };
    if let Some((status, reason, code)) = injected {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by the test front</Message></Error>"
        );
        // An answer to HEAD has no body.
        let body = if method == "HEAD" { "" } else { xml.as_str() };
        write!(
            to_client,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        to_client.flush()?;
        record(status, true);
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }

    let server = TcpStream::connect_timeout(&([127, 0, 0, 1], upstream).into(), FRONT_IO_TIMEOUT)?;
    server.set_read_timeout(Some(FRONT_IO_TIMEOUT))?;
    server.set_write_timeout(Some(FRONT_IO_TIMEOUT))?;
    (&server).write_all(&head)?;
    (&server).write_all(&body)?;
    let mut from_server = BufReader::new(&server);
    loop {
        let head = read_head(&mut from_server)?;
        let status = status_of(&head);
        if (100..200).contains(&status) {
            // An interim answer (100 Continue): relay it and wait for the final one.
            to_client.write_all(&head)?;
            continue;
        }
        let body = if method == "HEAD" || status == 204 || status == 304 {
            Vec::new()
        } else {
            read_body(&mut from_server, &head, true)?
        };
        to_client.write_all(&closing(&head))?;
        to_client.write_all(&body)?;
        to_client.flush()?;
        record(status, false);
        break;
    }
    let _ = server.shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}

/// The exchanges of one method, as `(status, injected)`.
fn answers(front: &Front, method: &str) -> Vec<(u16, bool)> {
    front.exchanges().iter().filter(|e| e.method == method).map(|e| (e.status, e.injected)).collect()
}

/// Retries: a front answers the first two requests of every kind with
/// `500 InternalError`. The upload, the refresh and the removal each succeed
/// on their third attempt, so apply, plan and destroy all succeed.
#[test]
fn server_errors_are_retried() {
    on_every_terraform(server_errors_are_retried_on);
}

fn server_errors_are_retried_on(tf: &Terraform) {
    let s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    let front = Front::start(s3.port, Fault::FailFirst(2));
    let wd = workdir(tf, s3.provider_env(), &front.endpoint(), "a");
    let r = apply_ok(&wd);
    let s = state(&wd);
    assert_stored(&s3, &s, "after an apply through the failing front");
    // Two injected failures, then the attempt that reached s3s-fs.
    let third_ok = |status: u16| vec![(500, true), (500, true), (status, false)];
    assert_eq!(answers(&front, "PUT"), third_ok(200), "uploads seen by the front\n{}", r.combined());

    assert!(plan_is_empty(&wd), "plan through the failing front is not empty");
    assert_eq!(answers(&front, "HEAD"), third_ok(200), "refreshes seen by the front");

    destroy_ok(&wd);
    assert!(s3.objects(BUCKET).is_empty(), "destroy left objects: {:?}", s3.objects(BUCKET));
    assert_eq!(answers(&front, "DELETE"), third_ok(204), "removals seen by the front");
    let all = front.exchanges();
    assert!(all.iter().all(|e| e.target.starts_with(&format!("/{BUCKET}/"))), "unexpected requests: {all:?}");
}

/// An update whose upload is refused while removal would work: the old
/// object must stay (removal comes only after a successful upload), the state
/// keeps it, and no DELETE is even attempted. Once uploads work again, one
/// apply converges to exactly the new object.
#[test]
fn refused_upload_keeps_the_old_object() {
    on_every_terraform(refused_upload_keeps_the_old_object_on);
}

fn refused_upload_keeps_the_old_object_on(tf: &Terraform) {
    let s3 = S3sFs::start();
    s3.create_bucket(BUCKET);
    let front = Front::start(s3.port, Fault::Pass);
    let wd = workdir(tf, s3.provider_env(), &front.endpoint(), "a");
    apply_ok(&wd);
    let before = state(&wd);
    assert_stored(&s3, &before, "after the first apply");
    let old_key = node_key(&before).unwrap();

    front.set_fault(Fault::Refuse("PUT"));
    front.clear();
    wd.write_config(&config(&body(&front.endpoint(), "b")));
    let r = apply(&wd, &[]);
    assert_failed_with(
        &r,
        &[&format!("S3 put of s3://{BUCKET}/{NODE_KEYS}"), "failed with AccessDenied", "s3:PutObject"],
        "update with uploads refused",
    );
    let new_key = key_named(&r, "put");
    assert_ne!(new_key, old_key);
    // A refusal is final: one upload, no retry, and no removal after it.
    let seen = front.exchanges();
    assert_eq!(answers(&front, "PUT"), [(403, true)], "uploads seen by the front: {seen:?}");
    assert!(!seen.iter().any(|e| e.method == "DELETE"), "a removal was attempted after a failed upload: {seen:?}");
    assert_eq!(state(&wd).resources, before.resources, "a failed update changed the state");
    assert_eq!(node_objects(&s3, "after the refused upload"), vec![old_key.clone()], "the old object is gone");

    front.set_fault(Fault::Pass);
    apply_ok(&wd);
    let after = state(&wd);
    assert_eq!(node_key(&after), Some(new_key.clone()));
    assert_stored(&s3, &after, "after uploads work again");
    assert!(plan_is_empty(&wd), "plan after the update is not empty");
    assert_eq!(s3.objects(BUCKET), vec![new_key]);
    destroy_ok(&wd);
    assert!(s3.objects(BUCKET).is_empty(), "destroy left objects: {:?}", s3.objects(BUCKET));
}
