//! A small lab for booting rendered nodes with the real Kubernetes programs
//! on one test host: every node is a network namespace (its own address on a
//! bridge that lives in a namespace of its own), a mount and UTS namespace
//! held by one idle process, and the scratch root the real Ignition engine
//! wrote, bound over the paths a machine would have it at. Every process the
//! lab starts belongs to one process group that is killed when the lab is
//! dropped, on success or failure. Included with `#[path]` by the test that
//! uses it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The paths of the programs `scripts/install-kubernetes.sh` built.
#[derive(Debug, Clone)]
pub struct Programs {
    pub version: String,
    pub bin: PathBuf,
    pub etcd: PathBuf,
    pub cni_bin: PathBuf,
}

impl Programs {
    pub fn from_env(env: &BTreeMap<String, String>) -> Programs {
        let get =
            |k: &str| env.get(k).cloned().unwrap_or_else(|| panic!("{k} missing from .tools/kubernetes/versions.env"));
        let p = Programs {
            version: get("KUBERNETES_VERSION"),
            bin: PathBuf::from(get("KUBERNETES_BIN")),
            etcd: PathBuf::from(get("ETCD_BIN")),
            cni_bin: PathBuf::from(get("CNI_BIN_DIR")),
        };
        for name in ["kubeadm", "kubelet", "kubectl", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] {
            assert!(p.bin.join(name).is_file(), "{} is missing; run scripts/install-kubernetes.sh", name);
        }
        assert!(p.etcd.is_file(), "{} is missing; run scripts/install-kubernetes.sh", p.etcd.display());
        p
    }

    /// The host binary standing in for a static pod's container image.
    pub fn for_command(&self, command: &str) -> Option<PathBuf> {
        let name = Path::new(command).file_name()?.to_str()?;
        match name {
            "etcd" => Some(self.etcd.clone()),
            "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" => Some(self.bin.join(name)),
            _ => None,
        }
    }
}

// ---- process group ----------------------------------------------------------

/// One process group for everything the lab starts; SIGKILLed as a whole on
/// drop (never a kill by name).
pub struct Group {
    leader: Child,
    pub pgid: i32,
    children: Mutex<Vec<Child>>,
}

impl Group {
    pub fn new() -> Group {
        let leader = Command::new("sleep")
            .arg("86400")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("sleep");
        let pgid = leader.id() as i32;
        Group { leader, pgid, children: Mutex::new(Vec::new()) }
    }

    /// Spawns `cmd` into the group; the child is reaped on drop.
    pub fn spawn(&self, mut cmd: Command) -> u32 {
        let child = cmd.process_group(self.pgid).spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let pid = child.id();
        self.children.lock().unwrap().push(child);
        pid
    }

    /// Runs `cmd` in the group to completion.
    pub fn run(&self, mut cmd: Command) -> Output {
        cmd.process_group(self.pgid).output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"))
    }

    /// Kills one spawned child (by its pid, which the group holds).
    pub fn kill_child(&self, pid: u32) {
        let mut children = self.children.lock().unwrap();
        if let Some(i) = children.iter().position(|c| c.id() == pid) {
            let mut c = children.remove(i);
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.pgid)]).status();
        for c in self.children.lock().unwrap().iter_mut() {
            let _ = c.wait();
        }
        let _ = self.leader.wait();
    }
}

// ---- network ------------------------------------------------------------------

pub const SUBNET_PREFIX: &str = "10.240.0";
pub const GATEWAY: &str = "10.240.0.1";

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(out.status.success(), "ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// A bridge in a namespace of its own, which node namespaces join by veth.
pub struct Network {
    pub tag: String,
    pub switch: String,
    namespaces: Mutex<Vec<String>>,
}

impl Network {
    pub fn new() -> Network {
        let tag = format!("kae{}", std::process::id());
        let switch = format!("{tag}-sw");
        ip(&["netns", "add", &switch]);
        let n = Network { tag, switch: switch.clone(), namespaces: Mutex::new(vec![switch.clone()]) };
        ip(&["-n", &switch, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &switch, "addr", "add", &format!("{GATEWAY}/24"), "dev", "br0"]);
        ip(&["-n", &switch, "link", "set", "br0", "up"]);
        ip(&["-n", &switch, "link", "set", "lo", "up"]);
        n
    }

    /// A namespace for a node at `address`, joined to the bridge.
    pub fn add_node(&self, short: &str, address: &str) -> String {
        let ns = format!("{}-{short}", self.tag);
        ip(&["netns", "add", &ns]);
        self.namespaces.lock().unwrap().push(ns.clone());
        let host_end = format!("v{}", &address.rsplit('.').next().unwrap());
        ip(&["-n", &self.switch, "link", "add", &host_end, "type", "veth", "peer", "name", "eth0", "netns", &ns]);
        ip(&["-n", &self.switch, "link", "set", &host_end, "master", "br0"]);
        ip(&["-n", &self.switch, "link", "set", &host_end, "up"]);
        ip(&["-n", &ns, "addr", "add", &format!("{address}/24"), "dev", "eth0"]);
        ip(&["-n", &ns, "link", "set", "eth0", "up"]);
        ip(&["-n", &ns, "link", "set", "lo", "up"]);
        ip(&["-n", &ns, "route", "add", "default", "via", GATEWAY]);
        ns
    }

    /// Puts this host on the bridge at `address`, as an operator's machine
    /// reaches a cluster's API endpoint: Terraform and the provider, which
    /// run here, then talk to the nodes directly. The host end goes away
    /// with the bridge's namespace.
    pub fn attach_host(&self, address: &str) {
        let host_end = format!("{}h", self.tag);
        ip(&["link", "add", &host_end, "type", "veth", "peer", "name", "vhost", "netns", &self.switch]);
        ip(&["-n", &self.switch, "link", "set", "vhost", "master", "br0"]);
        ip(&["-n", &self.switch, "link", "set", "vhost", "up"]);
        ip(&["addr", "add", &format!("{address}/24"), "dev", &host_end]);
        ip(&["link", "set", &host_end, "up"]);
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for ns in self.namespaces.lock().unwrap().iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

// ---- http -----------------------------------------------------------------------

/// A loopback HTTP server for a directory (the local store and the
/// artifacts), GET only.
pub struct FileServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FileServer {
    pub fn start(dir: &Path) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (dir, flag) = (dir.to_path_buf(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let dir = dir.clone();
                        std::thread::spawn(move || serve(stream, &dir));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        FileServer { port, stop, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{}", self.port, path.trim_start_matches('/'))
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, dir: &Path) {
    let _ = stream.set_nonblocking(false);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut out = stream;
    let path = request.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
    let rel = path.trim_start_matches('/');
    let file = dir.join(rel);
    if rel.split('/').any(|s| s == "..") || !file.is_file() {
        let _ = out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    let mut f = fs::File::open(&file).unwrap();
    let len = f.metadata().unwrap().len();
    let _ = write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
    let _ = std::io::copy(&mut f, &mut out);
}

// ---- nodes ------------------------------------------------------------------------

/// The paths of a machine that live in the node's scratch root: bound over
/// the same paths of the host inside the node's mount namespace.
const NODE_PATHS: [&str; 14] = [
    "etc/kubernetes",
    "etc/kubeadm",
    "etc/cni",
    "etc/containerd",
    "etc/systemd",
    "etc/sysctl.d",
    "var/lib/kubelet",
    "var/lib/etcd",
    "var/lib/kubeadm",
    "var/lib/containerd",
    "var/log",
    "opt",
    "run",
    "usr/local/bin",
];

/// One booted machine.
pub struct Node {
    pub name: String,
    pub address: String,
    pub netns: String,
    /// The scratch root the Ignition engine wrote.
    pub root: PathBuf,
    /// Lab files for this node (logs, shims), bound at `/mnt` inside it.
    pub lab: PathBuf,
    pub holder: u32,
    pub cgroup_root: String,
}

pub const SHIM_SYSTEMCTL: &str = r#"#!/bin/bash
# systemctl on a host without systemd: records the call, and runs the kubelet
# unit's command line (generated from the rendered units) for start/restart.
echo "systemctl $*" >>/mnt/systemctl.log
verb="${1:-}"; unit="${2:-}"; unit="${unit%.service}"
pidfile=/mnt/kubelet.pid
stop_kubelet() {
  if [ -s "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; sleep 1; rm -f "$pidfile"; fi
}
case "$verb:$unit" in
  start:kubelet|restart:kubelet)
    stop_kubelet
    nohup /mnt/kubelet-launch >>/mnt/kubelet.log 2>&1 </dev/null &
    echo $! >"$pidfile" ;;
  stop:kubelet) stop_kubelet ;;
  is-active:kubelet) [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null ;;
  *) exit 0 ;;
esac
"#;

impl Node {
    /// Runs `script` with bash inside the node (all its namespaces).
    pub fn sh(&self, group: &Group, script: &str) -> Output {
        group.run(self.command("bash", &["-c", script]))
    }

    /// Like `sh`, but fails the test on a non-zero exit.
    pub fn sh_ok(&self, group: &Group, script: &str) -> String {
        let out = self.sh(group, script);
        assert!(
            out.status.success(),
            "{}: `{script}` failed: {}\n{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A command entering the node's namespaces.
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new("nsenter");
        c.args(["-t", &self.holder.to_string(), "-m", "-n", "-u", "--", program]).args(args);
        c.env_clear()
            .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", "/root")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null());
        c
    }

    /// Starts `program` in the background in the node, logging to `log`.
    pub fn spawn(&self, group: &Group, program: &str, args: &[&str], log: &str) -> u32 {
        let f = fs::File::create(self.lab.join(log)).unwrap();
        let mut c = self.command(program, args);
        c.stdout(f.try_clone().unwrap()).stderr(f);
        group.spawn(c)
    }

    pub fn log(&self, name: &str) -> String {
        fs::read_to_string(self.lab.join(name)).unwrap_or_default()
    }

    /// The last `n` lines of a lab log.
    pub fn log_tail(&self, name: &str, n: usize) -> String {
        let text = self.log(name);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// What a node needs from the lab when it is set up.
pub struct NodeSetup<'a> {
    pub name: &'a str,
    pub short: &'a str,
    pub address: &'a str,
    pub root: &'a Path,
    /// `/etc/hosts` for every node (the VPC's DNS).
    pub hosts: &'a str,
}

/// Makes the node's namespaces and binds its root into them.
pub fn setup_node(group: &Group, net: &Network, lab_dir: &Path, s: &NodeSetup<'_>) -> Node {
    let netns = net.add_node(s.short, s.address);
    let lab = lab_dir.join(s.short);
    fs::create_dir_all(lab.join("sbin")).unwrap();
    for rel in NODE_PATHS {
        fs::create_dir_all(s.root.join(rel)).unwrap();
    }
    let write_exec = |path: PathBuf, text: &str| {
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    };
    write_exec(lab.join("sbin/systemctl"), SHIM_SYSTEMCTL);
    write_exec(
        lab.join("sbin/swapoff"),
        "#!/bin/sh\n# The test host has no swap, and swapoff would act on the whole host.\nexit 0\n",
    );
    write_exec(
        lab.join("sbin/modprobe"),
        "#!/bin/sh\n# The test host's kernel has overlay and br_netfilter built in, and no module tree.\nexit 0\n",
    );
    fs::write(lab.join("hosts"), s.hosts).unwrap();
    fs::write(lab.join("resolv.conf"), "# No DNS here: lookups fail at once.\nnameserver 127.0.0.1\n").unwrap();
    fs::write(lab.join("hostname"), format!("{}\n", s.name)).unwrap();

    let mut script = String::from("set -e\n");
    script.push_str(&format!("hostname {}\n", s.name));
    for rel in NODE_PATHS {
        script.push_str(&format!("mkdir -p /{rel}\nmount --bind {}/{rel} /{rel}\n", s.root.display()));
    }
    script.push_str(&format!("mount --bind {} /mnt\n", lab.display()));
    script.push_str(&format!("mount --bind {}/sbin /usr/local/sbin\n", lab.display()));
    script.push_str(&format!("mount --bind {}/hosts /etc/hosts\n", lab.display()));
    script.push_str(&format!("mount --bind {}/resolv.conf /etc/resolv.conf\n", lab.display()));
    script.push_str(&format!("touch {}/ready\nexec sleep 86400\n", lab.display()));

    let log = fs::File::create(lab.join("holder.log")).unwrap();
    // nsenter rather than `ip netns exec`, which mounts a fresh /sys and so
    // hides the cgroup hierarchies the kubelet needs.
    let mut c = Command::new("nsenter");
    c.arg(format!("--net=/run/netns/{netns}"))
        .args(["unshare", "--mount", "--uts", "--propagation", "private", "bash", "-c", &script])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let holder = group.spawn(c);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !lab.join("ready").exists() {
        assert!(
            Instant::now() < deadline,
            "{}: namespace setup failed: {}",
            s.name,
            fs::read_to_string(lab.join("holder.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Node {
        name: s.name.to_string(),
        address: s.address.to_string(),
        netns,
        root: s.root.to_path_buf(),
        lab,
        holder,
        cgroup_root: format!("/{}-{}", net.tag, s.short),
    }
}

/// The command line of a rendered systemd service, as a bash script: its
/// `Environment=` and `EnvironmentFile=` settings (drop-ins in order), and
/// the last `ExecStart=`, plus `extra` arguments. Word splitting of unquoted
/// `$VARS` in bash matches systemd's for these units.
pub fn service_launcher(root: &Path, unit: &str, extra: &[String]) -> String {
    let dir = root.join("etc/systemd/system");
    let mut texts = vec![fs::read_to_string(dir.join(unit)).unwrap_or_else(|e| panic!("{unit}: {e}"))];
    if let Ok(entries) = fs::read_dir(dir.join(format!("{unit}.d"))) {
        let mut dropins: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        dropins.sort();
        texts.extend(dropins.iter().map(|p| fs::read_to_string(p).unwrap()));
    }
    let mut env = Vec::new();
    let mut env_files = Vec::new();
    let mut exec = None;
    for text in &texts {
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("Environment=") {
                let v = v.trim_matches('"');
                let (k, val) = v.split_once('=').unwrap();
                env.push(format!("{k}={}", shell_quote(val)));
            } else if let Some(v) = line.strip_prefix("EnvironmentFile=") {
                env_files.push(v.trim_start_matches('-').to_string());
            } else if let Some(v) = line.strip_prefix("ExecStart=") {
                exec = if v.is_empty() { None } else { Some(v.to_string()) };
            }
        }
    }
    let exec = exec.unwrap_or_else(|| panic!("{unit} has no ExecStart"));
    let mut s = String::from("#!/bin/bash\n# Generated from the rendered unit and its drop-ins.\nset -a\n");
    for e in env {
        s.push_str(&e);
        s.push('\n');
    }
    for f in env_files {
        s.push_str(&format!("[ -f {f} ] && . {f}\n"));
    }
    s.push_str("set +a\nexec ");
    s.push_str(&exec);
    for a in extra {
        s.push(' ');
        s.push_str(&shell_quote(a));
    }
    s.push('\n');
    s
}

pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The `ExecStart=` lines of a oneshot unit.
pub fn exec_starts(root: &Path, unit: &str) -> Vec<String> {
    let text = fs::read_to_string(root.join("etc/systemd/system").join(unit)).unwrap_or_else(|e| panic!("{unit}: {e}"));
    text.lines().filter_map(|l| l.strip_prefix("ExecStart=")).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// `Environment=` values of a unit (without drop-ins).
pub fn unit_environment(root: &Path, unit: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(root.join("etc/systemd/system").join(unit)).unwrap_or_else(|e| panic!("{unit}: {e}"));
    text.lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .filter_map(|v| {
            let (k, val) = v.trim_matches('"').split_once('=')?;
            Some((k.to_string(), val.to_string()))
        })
        .collect()
}

// ---- static pods as plain processes ----------------------------------------------

/// Watches a node's static pod directory and runs each pod's container
/// command with the host binary for its image, restarting it when the
/// manifest changes and stopping it when the manifest goes (what the
/// kubelet does with the images, which cannot be pulled here).
pub struct StaticPods {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticPods {
    pub fn start(group: Arc<Group>, node: &Node, programs: &Programs) -> StaticPods {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let dir = node.root.join("etc/kubernetes/manifests");
        let node = NodeRef { holder: node.holder, lab: node.lab.clone() };
        let programs = programs.clone();
        let thread = std::thread::spawn(move || {
            let mut running: BTreeMap<String, (Vec<u8>, u32)> = BTreeMap::new();
            while !flag.load(Ordering::SeqCst) {
                let mut seen = BTreeMap::new();
                if let Ok(entries) = fs::read_dir(&dir) {
                    for e in entries.flatten() {
                        let p = e.path();
                        if p.extension().is_some_and(|x| x == "yaml") {
                            if let Ok(bytes) = fs::read(&p) {
                                seen.insert(p.file_stem().unwrap().to_string_lossy().into_owned(), bytes);
                            }
                        }
                    }
                }
                let gone: Vec<String> = running.keys().filter(|k| !seen.contains_key(*k)).cloned().collect();
                for k in gone {
                    let (_, pid) = running.remove(&k).unwrap();
                    group.kill_child(pid);
                }
                for (name, bytes) in seen {
                    if running.get(&name).is_some_and(|(b, _)| *b == bytes) {
                        continue;
                    }
                    let Some(argv) = pod_command(&bytes, &programs) else { continue };
                    if let Some((_, pid)) = running.remove(&name) {
                        group.kill_child(pid);
                    }
                    let log = fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(node.lab.join(format!("{name}.log")))
                        .unwrap();
                    let mut c = Command::new("nsenter");
                    c.args(["-t", &node.holder.to_string(), "-m", "-n", "-u", "--"])
                        .args(&argv)
                        .env_clear()
                        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                        .stdin(Stdio::null())
                        .stdout(log.try_clone().unwrap())
                        .stderr(log);
                    let pid = group.spawn(c);
                    running.insert(name, (bytes, pid));
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        });
        StaticPods { stop, thread: Some(thread) }
    }
}

impl Drop for StaticPods {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct NodeRef {
    holder: u32,
    lab: PathBuf,
}

/// The first container's command and args, with the host binary first.
fn pod_command(manifest: &[u8], programs: &Programs) -> Option<Vec<String>> {
    let pod: serde_yaml_ng::Value = serde_yaml_ng::from_slice(manifest).ok()?;
    let c = pod.get("spec")?.get("containers")?.get(0)?;
    let mut argv: Vec<String> = Vec::new();
    for key in ["command", "args"] {
        if let Some(list) = c.get(key).and_then(|v| v.as_sequence()) {
            argv.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)));
        }
    }
    let first = argv.first()?.clone();
    argv[0] = programs.for_command(&first)?.to_string_lossy().into_owned();
    Some(argv)
}

// ---- small helpers -------------------------------------------------------------------

/// Polls `f` every `every` until it returns `Some` or `limit` passes.
pub fn wait_for<T>(limit: Duration, every: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(every);
    }
}

/// Removes the cgroups a kubelet made under `root` in every v1 hierarchy.
pub fn remove_cgroups(root: &str) {
    let Ok(hierarchies) = fs::read_dir("/sys/fs/cgroup") else { return };
    for h in hierarchies.flatten() {
        let top = h.path().join(root.trim_start_matches('/'));
        if top.is_dir() {
            remove_cgroup_tree(&top);
        }
    }
}

fn remove_cgroup_tree(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup_tree(&e.path());
            }
        }
    }
    let _ = fs::remove_dir(dir);
}

/// Reads a whole file into a string (or an empty one).
pub fn read_lossy(path: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        let mut b = Vec::new();
        let _ = f.read_to_end(&mut b);
        s = String::from_utf8_lossy(&b).into_owned();
    }
    s
}
