//! What differs between Flatcar Container Linux and Fedora CoreOS for a
//! kubeadm node, in one table per operating system. The renderer asks the
//! profile instead of matching on the OS itself, so every difference is
//! listed here.
//!
//! Plain domain code: no tonic, prost, msgpack, `crate::tfplugin` or
//! `crate::provider`.

use crate::bootstrap::node::OperatingSystem;

/// How the node keeps its clock when NTP servers are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeSync {
    /// systemd-timesyncd (Flatcar): a drop-in with `NTP=`.
    Timesyncd,
    /// chrony (Fedora CoreOS). Fedora's `/etc/chrony.conf` has no include
    /// directory for sources, so the file is replaced as a whole. A changed
    /// file also stops `coreos-platform-chrony-config` from generating its
    /// own cloud-specific configuration, which is what the user asked for.
    Chrony,
}

/// The facts about one operating system the renderer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Profile {
    pub os: OperatingSystem,
    /// Where fetched binaries live: writable and meant for local binaries.
    /// Flatcar's `/usr` (including `/usr/local`) is read-only, and `/opt/bin`
    /// is on login shells' PATH but not on systemd's. On Fedora CoreOS
    /// `/usr/local` points into `/var` and `/usr/local/bin` is on every PATH.
    pub bin_dir: &'static str,
    /// Whether units that run fetched binaries need `bin_dir` added to PATH.
    pub needs_path_dropin: bool,
    /// Path prefixes Ignition cannot write to (read-only `/usr`), and the
    /// exceptions inside them that are writable.
    pub read_only_prefix: &'static str,
    pub writable_exceptions: &'static [&'static str],
    /// The EC2 metadata agent: not enabled by default on either OS, so the
    /// bootstrap unit pulls it in.
    pub metadata_unit: &'static str,
    /// The environment file the agent writes.
    pub metadata_env_file: &'static str,
    /// Variables in that file: private DNS name, instance id, zone.
    pub hostname_var: &'static str,
    pub instance_id_var: &'static str,
    pub zone_var: &'static str,
    /// Whether containerd must be configured and enabled here. Flatcar's
    /// built-in containerd is already on, with the CRI plugin and the systemd
    /// cgroup driver kubeadm expects, so nothing is written for it there.
    pub configures_containerd: bool,
    /// Units masked so a second runtime cannot get in the way (Fedora CoreOS
    /// still ships moby-engine).
    pub masked_units: &'static [&'static str],
    /// kubeadm patches putting the static control-plane pods in `spc_t`:
    /// needed where SELinux is enforcing (Fedora CoreOS), since `container_t`
    /// may not read `/etc/kubernetes/pki` or `/var/lib/etcd`. Flatcar's
    /// SELinux is permissive.
    pub selinux_patches: bool,
    /// The file that keeps the OS from rebooting into an update by itself
    /// while the node is being built, and its contents.
    pub update_policy_path: &'static str,
    pub update_policy: &'static str,
    pub time_sync: TimeSync,
    /// Whether the image has `crictl`. kubeadm before 1.31 calls it (its
    /// preflight check `FileExisting-crictl` is mandatory, and it pulls and
    /// lists images with it); Fedora CoreOS does not ship it.
    pub ships_crictl: bool,
}

const FLATCAR: Profile = Profile {
    os: OperatingSystem::Flatcar,
    bin_dir: "/opt/bin",
    needs_path_dropin: true,
    read_only_prefix: "/usr/",
    writable_exceptions: &[],
    metadata_unit: "coreos-metadata.service",
    metadata_env_file: "/run/metadata/flatcar",
    hostname_var: "COREOS_EC2_HOSTNAME",
    instance_id_var: "COREOS_EC2_INSTANCE_ID",
    zone_var: "COREOS_EC2_AVAILABILITY_ZONE",
    configures_containerd: false,
    masked_units: &[],
    selinux_patches: false,
    update_policy_path: "/etc/flatcar/update.conf",
    // locksmithd reads the strategy; update-engine still downloads updates,
    // which apply on the next reboot the operator chooses (or kured's).
    update_policy: "REBOOT_STRATEGY=off\n",
    time_sync: TimeSync::Timesyncd,
    ships_crictl: true,
};

const FEDORA_COREOS: Profile = Profile {
    os: OperatingSystem::FedoraCoreos,
    bin_dir: "/usr/local/bin",
    needs_path_dropin: false,
    read_only_prefix: "/usr/",
    writable_exceptions: &["/usr/local/"],
    metadata_unit: "afterburn.service",
    metadata_env_file: "/run/metadata/afterburn",
    hostname_var: "AFTERBURN_AWS_HOSTNAME",
    instance_id_var: "AFTERBURN_AWS_INSTANCE_ID",
    zone_var: "AFTERBURN_AWS_AVAILABILITY_ZONE",
    configures_containerd: true,
    masked_units: &["docker.service", "docker.socket"],
    selinux_patches: true,
    update_policy_path: "/etc/zincati/config.d/55-kubeadm.toml",
    // Zincati's default strategy reboots as soon as an update is staged.
    update_policy: "# Written at first boot: no automatic updates while this node runs Kubernetes.\n\
                    # Switch to strategy = \"fleet_lock\" with a lock server to update safely.\n\
                    [updates]\nenabled = false\n",
    time_sync: TimeSync::Chrony,
    ships_crictl: false,
};

impl Profile {
    /// The profile of `os`.
    pub(crate) fn of(os: OperatingSystem) -> &'static Profile {
        match os {
            OperatingSystem::Flatcar => &FLATCAR,
            OperatingSystem::FedoraCoreos => &FEDORA_COREOS,
        }
    }

    /// The PATH units and scripts use: the binary directory first, so fetched
    /// binaries win over anything the image carries.
    pub(crate) fn path_env(&self) -> String {
        let standard = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        if standard.split(':').any(|d| d == self.bin_dir) {
            standard.to_owned()
        } else {
            format!("{}:{standard}", self.bin_dir)
        }
    }

    /// True when Ignition cannot write `path` on this OS.
    pub(crate) fn is_read_only(&self, path: &str) -> bool {
        path.starts_with(self.read_only_prefix) && !self.writable_exceptions.iter().any(|w| path.starts_with(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_read_only_areas() {
        let f = Profile::of(OperatingSystem::Flatcar);
        assert_eq!(f.path_env(), "/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        assert!(f.is_read_only("/usr/local/bin/kubelet"));
        assert!(!f.is_read_only("/opt/bin/kubelet"));
        let c = Profile::of(OperatingSystem::FedoraCoreos);
        assert_eq!(c.path_env(), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        assert!(!c.is_read_only("/usr/local/bin/kubelet"));
        assert!(c.is_read_only("/usr/bin/kubelet"));
        assert!(!c.is_read_only("/usrfoo"));
    }
}
