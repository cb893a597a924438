//! Field names checked against the upstream JSON tags.

use super::*;

/// The field names a struct accepts, read from serde's unknown-field error.
fn modeled_fields<T: DeserializeOwned>() -> BTreeSet<String> {
    let err = serde_json::from_value::<T>(serde_json::json!({"\u{1}probe": 0})).err().map(|e| e.to_string());
    let msg = err.unwrap_or_default();
    let expected = msg.split_once("expected").map(|(_, rest)| rest).unwrap_or_default();
    expected.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

fn assert_upstream<T: DeserializeOwned>(what: &str, upstream: &[&str]) {
    let modeled = modeled_fields::<T>();
    assert!(!modeled.is_empty(), "{what}: could not read the modelled fields");
    let upstream: BTreeSet<String> = upstream.iter().map(|s| s.to_string()).collect();
    let wrong: Vec<_> = modeled.difference(&upstream).collect();
    assert!(wrong.is_empty(), "{what}: fields not in the upstream API: {wrong:?}");
}

#[test]
fn modelled_field_names_exist_upstream() {
    // JSON tags of the upstream Go types (kubeadm v1beta3/v1beta4,
    // bootstraptoken/v1, core/v1, kubelet config v1beta1, kube-proxy config
    // v1alpha1, component-base logging).
    assert_upstream::<common::BootstrapToken>(
        "BootstrapToken",
        &["token", "description", "ttl", "expires", "usages", "groups"],
    );
    assert_upstream::<common::Taint>("Taint", &["key", "value", "effect", "timeAdded"]);
    assert_upstream::<common::ApiEndpoint>("APIEndpoint", &["advertiseAddress", "bindPort"]);
    assert_upstream::<common::Patches>("Patches", &["directory"]);
    assert_upstream::<common::Networking>("Networking", &["serviceSubnet", "podSubnet", "dnsDomain"]);
    assert_upstream::<common::HostPathMount>(
        "HostPathMount",
        &["name", "hostPath", "mountPath", "readOnly", "pathType"],
    );
    assert_upstream::<common::BootstrapTokenDiscovery>(
        "BootstrapTokenDiscovery",
        &["token", "apiServerEndpoint", "caCertHashes", "unsafeSkipCAVerification"],
    );
    assert_upstream::<common::FileDiscovery>("FileDiscovery", &["kubeConfigPath"]);
    assert_upstream::<common::JoinControlPlane>("JoinControlPlane", &["localAPIEndpoint", "certificateKey"]);

    assert_upstream::<v1beta3::InitConfiguration>(
        "v1beta3.InitConfiguration",
        &[
            "apiVersion",
            "kind",
            "bootstrapTokens",
            "nodeRegistration",
            "localAPIEndpoint",
            "certificateKey",
            "skipPhases",
            "patches",
        ],
    );
    assert_upstream::<v1beta3::ClusterConfiguration>(
        "v1beta3.ClusterConfiguration",
        &[
            "apiVersion",
            "kind",
            "etcd",
            "networking",
            "kubernetesVersion",
            "controlPlaneEndpoint",
            "apiServer",
            "controllerManager",
            "scheduler",
            "dns",
            "certificatesDir",
            "imageRepository",
            "featureGates",
            "clusterName",
        ],
    );
    assert_upstream::<v1beta3::ControlPlaneComponent>("v1beta3.ControlPlaneComponent", &["extraArgs", "extraVolumes"]);
    assert_upstream::<v1beta3::ApiServer>(
        "v1beta3.APIServer",
        &["extraArgs", "extraVolumes", "certSANs", "timeoutForControlPlane"],
    );
    assert_upstream::<v1beta3::Dns>("v1beta3.DNS", &["imageRepository", "imageTag"]);
    assert_upstream::<v1beta3::Etcd>("v1beta3.Etcd", &["local", "external"]);
    assert_upstream::<v1beta3::LocalEtcd>(
        "v1beta3.LocalEtcd",
        &["imageRepository", "imageTag", "dataDir", "extraArgs", "serverCertSANs", "peerCertSANs"],
    );
    assert_upstream::<v1beta3::ExternalEtcd>("v1beta3.ExternalEtcd", &["endpoints", "caFile", "certFile", "keyFile"]);
    assert_upstream::<v1beta3::NodeRegistrationOptions>(
        "v1beta3.NodeRegistrationOptions",
        &["name", "criSocket", "taints", "kubeletExtraArgs", "ignorePreflightErrors", "imagePullPolicy"],
    );
    assert_upstream::<v1beta3::JoinConfiguration>(
        "v1beta3.JoinConfiguration",
        &["apiVersion", "kind", "nodeRegistration", "caCertPath", "discovery", "controlPlane", "skipPhases", "patches"],
    );
    assert_upstream::<v1beta3::Discovery>(
        "v1beta3.Discovery",
        &["bootstrapToken", "file", "tlsBootstrapToken", "timeout"],
    );

    assert_upstream::<v1beta4::InitConfiguration>(
        "v1beta4.InitConfiguration",
        &[
            "apiVersion",
            "kind",
            "bootstrapTokens",
            "dryRun",
            "nodeRegistration",
            "localAPIEndpoint",
            "certificateKey",
            "skipPhases",
            "patches",
            "timeouts",
        ],
    );
    assert_upstream::<v1beta4::ClusterConfiguration>(
        "v1beta4.ClusterConfiguration",
        &[
            "apiVersion",
            "kind",
            "etcd",
            "networking",
            "kubernetesVersion",
            "controlPlaneEndpoint",
            "apiServer",
            "controllerManager",
            "scheduler",
            "dns",
            "proxy",
            "certificatesDir",
            "imageRepository",
            "featureGates",
            "clusterName",
            "encryptionAlgorithm",
            "certificateValidityPeriod",
            "caCertificateValidityPeriod",
        ],
    );
    assert_upstream::<v1beta4::ControlPlaneComponent>(
        "v1beta4.ControlPlaneComponent",
        &["extraArgs", "extraVolumes", "extraEnvs"],
    );
    assert_upstream::<v1beta4::ApiServer>("v1beta4.APIServer", &["extraArgs", "extraVolumes", "extraEnvs", "certSANs"]);
    assert_upstream::<v1beta4::Dns>("v1beta4.DNS", &["imageRepository", "imageTag", "disabled"]);
    assert_upstream::<v1beta4::Proxy>("v1beta4.Proxy", &["disabled"]);
    assert_upstream::<v1beta4::LocalEtcd>(
        "v1beta4.LocalEtcd",
        &["imageRepository", "imageTag", "dataDir", "extraArgs", "extraEnvs", "serverCertSANs", "peerCertSANs"],
    );
    assert_upstream::<v1beta4::ExternalEtcd>(
        "v1beta4.ExternalEtcd",
        &["endpoints", "httpEndpoints", "caFile", "certFile", "keyFile"],
    );
    assert_upstream::<v1beta4::NodeRegistrationOptions>(
        "v1beta4.NodeRegistrationOptions",
        &[
            "name",
            "criSocket",
            "taints",
            "kubeletExtraArgs",
            "ignorePreflightErrors",
            "imagePullPolicy",
            "imagePullSerial",
        ],
    );
    assert_upstream::<v1beta4::JoinConfiguration>(
        "v1beta4.JoinConfiguration",
        &[
            "apiVersion",
            "kind",
            "dryRun",
            "nodeRegistration",
            "caCertPath",
            "discovery",
            "controlPlane",
            "skipPhases",
            "patches",
            "timeouts",
        ],
    );
    assert_upstream::<v1beta4::Discovery>("v1beta4.Discovery", &["bootstrapToken", "file", "tlsBootstrapToken"]);
    assert_upstream::<v1beta4::Timeouts>(
        "v1beta4.Timeouts",
        &[
            "controlPlaneComponentHealthCheck",
            "kubeletHealthCheck",
            "kubernetesAPICall",
            "etcdAPICall",
            "tlsBootstrap",
            "discovery",
            "upgradeManifests",
        ],
    );
    assert_upstream::<v1beta4::Arg>("v1beta4.Arg", &["name", "value"]);
    assert_upstream::<v1beta4::EnvVar>("core.EnvVar", &["name", "value", "valueFrom"]);
    assert_upstream::<v1beta4::EnvVarSource>(
        "core.EnvVarSource",
        &["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"],
    );
    assert_upstream::<v1beta4::ObjectFieldSelector>("core.ObjectFieldSelector", &["apiVersion", "fieldPath"]);
    assert_upstream::<v1beta4::ResourceFieldSelector>(
        "core.ResourceFieldSelector",
        &["containerName", "resource", "divisor"],
    );
    assert_upstream::<v1beta4::KeySelector>("core.KeySelector", &["name", "key", "optional"]);

    assert_upstream::<KubeletConfiguration>("KubeletConfiguration", KUBELET_UPSTREAM);
    assert_upstream::<kubelet::KubeletAuthentication>("KubeletAuthentication", &["x509", "webhook", "anonymous"]);
    assert_upstream::<kubelet::KubeletX509Authentication>("KubeletX509Authentication", &["clientCAFile"]);
    assert_upstream::<kubelet::KubeletWebhookAuthentication>("KubeletWebhookAuthentication", &["enabled", "cacheTTL"]);
    assert_upstream::<kubelet::KubeletAnonymousAuthentication>("KubeletAnonymousAuthentication", &["enabled"]);
    assert_upstream::<kubelet::KubeletAuthorization>("KubeletAuthorization", &["mode", "webhook"]);
    assert_upstream::<kubelet::KubeletWebhookAuthorization>(
        "KubeletWebhookAuthorization",
        &["cacheAuthorizedTTL", "cacheUnauthorizedTTL"],
    );
    assert_upstream::<kubelet::MemorySwapConfiguration>("MemorySwapConfiguration", &["swapBehavior"]);
    assert_upstream::<kubelet::CrashLoopBackOffConfig>("CrashLoopBackOffConfig", &["maxContainerRestartPeriod"]);
    assert_upstream::<kubelet::ShutdownGracePeriodByPodPriority>(
        "ShutdownGracePeriodByPodPriority",
        &["priority", "shutdownGracePeriodSeconds"],
    );
    assert_upstream::<kubelet::MemoryReservation>("MemoryReservation", &["numaNode", "limits"]);
    assert_upstream::<kubelet::TracingConfiguration>("TracingConfiguration", &["endpoint", "samplingRatePerMillion"]);
    assert_upstream::<kubelet::UserNamespaces>("UserNamespaces", &["idsPerPod"]);
    assert_upstream::<kubelet::LoggingConfiguration>(
        "LoggingConfiguration",
        &["format", "flushFrequency", "verbosity", "vmodule", "options"],
    );
    assert_upstream::<kubelet::VModuleItem>("VModuleItem", &["filePattern", "verbosity"]);
    assert_upstream::<kubelet::FormatOptions>("FormatOptions", &["text", "json"]);
    assert_upstream::<kubelet::OutputRoutingOptions>("OutputRoutingOptions", &["splitStream", "infoBufferSize"]);

    assert_upstream::<KubeProxyConfiguration>(
        "KubeProxyConfiguration",
        &[
            "apiVersion",
            "kind",
            "featureGates",
            "clientConnection",
            "logging",
            "hostnameOverride",
            "bindAddress",
            "healthzBindAddress",
            "metricsBindAddress",
            "bindAddressHardFail",
            "enableProfiling",
            "showHiddenMetricsForVersion",
            "mode",
            "iptables",
            "ipvs",
            "nftables",
            "winkernel",
            "detectLocalMode",
            "detectLocal",
            "clusterCIDR",
            "nodePortAddresses",
            "oomScoreAdj",
            "conntrack",
            "configSyncPeriod",
            "portRange",
            "windowsRunAsService",
        ],
    );
    assert_upstream::<proxy::ClientConnectionConfiguration>(
        "ClientConnectionConfiguration",
        &["kubeconfig", "acceptContentTypes", "contentType", "qps", "burst"],
    );
    assert_upstream::<proxy::KubeProxyIpTablesConfiguration>(
        "KubeProxyIPTablesConfiguration",
        &["masqueradeBit", "masqueradeAll", "localhostNodePorts", "snatNodeInternalIP", "syncPeriod", "minSyncPeriod"],
    );
    assert_upstream::<proxy::KubeProxyIpvsConfiguration>(
        "KubeProxyIPVSConfiguration",
        &[
            "syncPeriod",
            "minSyncPeriod",
            "scheduler",
            "excludeCIDRs",
            "strictARP",
            "tcpTimeout",
            "tcpFinTimeout",
            "udpTimeout",
        ],
    );
    assert_upstream::<proxy::KubeProxyNfTablesConfiguration>(
        "KubeProxyNFTablesConfiguration",
        &["masqueradeBit", "masqueradeAll", "syncPeriod", "minSyncPeriod"],
    );
    assert_upstream::<proxy::KubeProxyWinkernelConfiguration>(
        "KubeProxyWinkernelConfiguration",
        &["networkName", "sourceVip", "enableDSR", "rootHnsEndpointName", "forwardHealthCheckVip"],
    );
    assert_upstream::<proxy::DetectLocalConfiguration>(
        "DetectLocalConfiguration",
        &["bridgeInterface", "interfaceNamePrefix"],
    );
    assert_upstream::<proxy::KubeProxyConntrackConfiguration>(
        "KubeProxyConntrackConfiguration",
        &[
            "maxPerCore",
            "min",
            "tcpEstablishedTimeout",
            "tcpCloseWaitTimeout",
            "tcpBeLiberal",
            "udpTimeout",
            "udpStreamTimeout",
        ],
    );
}

/// JSON tags of kubelet.config.k8s.io/v1beta1 `KubeletConfiguration`.
const KUBELET_UPSTREAM: &[&str] = &[
    "apiVersion",
    "kind",
    "enableServer",
    "staticPodPath",
    "podLogsDir",
    "syncFrequency",
    "fileCheckFrequency",
    "httpCheckFrequency",
    "staticPodURL",
    "staticPodURLHeader",
    "address",
    "port",
    "readOnlyPort",
    "tlsCertFile",
    "tlsPrivateKeyFile",
    "tlsCipherSuites",
    "tlsCurvePreferences",
    "tlsMinVersion",
    "rotateCertificates",
    "serverTLSBootstrap",
    "authentication",
    "authorization",
    "registryPullQPS",
    "registryBurst",
    "imagePullCredentialsVerificationPolicy",
    "preloadedImagesVerificationAllowlist",
    "eventRecordQPS",
    "eventBurst",
    "enableDebuggingHandlers",
    "enableContentionProfiling",
    "healthzPort",
    "healthzBindAddress",
    "oomScoreAdj",
    "clusterDomain",
    "clusterDNS",
    "streamingConnectionIdleTimeout",
    "nodeStatusUpdateFrequency",
    "nodeStatusReportFrequency",
    "nodeLeaseDurationSeconds",
    "imageMinimumGCAge",
    "imageMaximumGCAge",
    "imageGCHighThresholdPercent",
    "imageGCLowThresholdPercent",
    "volumeStatsAggPeriod",
    "kubeletCgroups",
    "systemCgroups",
    "cgroupRoot",
    "cgroupsPerQOS",
    "cgroupDriver",
    "cpuManagerPolicy",
    "singleProcessOOMKill",
    "cpuManagerPolicyOptions",
    "cpuManagerReconcilePeriod",
    "draManagerReconcilePeriod",
    "memoryManagerPolicy",
    "topologyManagerPolicy",
    "topologyManagerScope",
    "topologyManagerPolicyOptions",
    "qosReserved",
    "runtimeRequestTimeout",
    "hairpinMode",
    "maxPods",
    "podCIDR",
    "podPidsLimit",
    "resolvConf",
    "runOnce",
    "cpuCFSQuota",
    "cpuCFSQuotaPeriod",
    "nodeStatusMaxImages",
    "maxOpenFiles",
    "contentType",
    "kubeAPIQPS",
    "kubeAPIBurst",
    "serializeImagePulls",
    "maxParallelImagePulls",
    "evictionHard",
    "evictionSoft",
    "evictionSoftGracePeriod",
    "evictionPressureTransitionPeriod",
    "evictionMaxPodGracePeriod",
    "evictionMinimumReclaim",
    "mergeDefaultEvictionSettings",
    "podsPerCore",
    "enableControllerAttachDetach",
    "protectKernelDefaults",
    "makeIPTablesUtilChains",
    "iptablesMasqueradeBit",
    "iptablesDropBit",
    "featureGates",
    "failSwapOn",
    "memorySwap",
    "containerLogMaxSize",
    "containerLogMaxFiles",
    "containerLogMaxWorkers",
    "containerLogMonitorInterval",
    "configMapAndSecretChangeDetectionStrategy",
    "systemReserved",
    "kubeReserved",
    "reservedSystemCPUs",
    "showHiddenMetricsForVersion",
    "systemReservedCgroup",
    "kubeReservedCgroup",
    "enforceNodeAllocatable",
    "allowedUnsafeSysctls",
    "volumePluginDir",
    "providerID",
    "kernelMemcgNotification",
    "logging",
    "enableSystemLogHandler",
    "enableSystemLogQuery",
    "shutdownGracePeriod",
    "shutdownGracePeriodCriticalPods",
    "shutdownGracePeriodByPodPriority",
    "crashLoopBackOff",
    "reservedMemory",
    "enableProfilingHandler",
    "enableDebugFlagsHandler",
    "seccompDefault",
    "memoryThrottlingFactor",
    "memoryReservationPolicy",
    "registerWithTaints",
    "registerNode",
    "tracing",
    "localStorageCapacityIsolation",
    "containerRuntimeEndpoint",
    "imageServiceEndpoint",
    "failCgroupV1",
    "userNamespaces",
];

#[test]
fn the_field_reader_works() {
    let fields = modeled_fields::<common::Patches>();
    assert_eq!(fields.into_iter().collect::<Vec<_>>(), ["directory"]);
    assert_eq!(modeled_fields::<v1beta4::Arg>().len(), 2);
    assert!(modeled_fields::<KubeletConfiguration>().len() > 100);
}
