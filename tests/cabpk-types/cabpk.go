package main

// The steps below follow Cluster API v1.14.2's KubeadmConfig reconciler
// (bootstrap/kubeadm/reconcilers/kubeadmconfig/kubeadmconfig_controller.go
// and configowner.go), its MachineSet reconciler for templates
// (core/reconcilers/machineset: computeDesiredMachine, createBootstrapConfig)
// and, for a KubeadmControlPlane, KCP's exported desired-state functions,
// which are called as they are. Each step names the function it stands for.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/blang/semver/v4"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	kubeadmtypes "sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/types"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/pkg/types/upstream"
	bootstrapadmission "sigs.k8s.io/cluster-api/bootstrap/kubeadm/webhooks/admission"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/pkg/desiredstate"
	controlplaneadmission "sigs.k8s.io/cluster-api/controlplane/kubeadm/webhooks/admission"
	"sigs.k8s.io/cluster-api/util/conditions"
	v1beta1conditions "sigs.k8s.io/cluster-api/util/conditions/deprecated/v1beta1"
)

// inputs are what the management cluster would supply and the manifests do
// not hold: the bootstrap token CABPK creates in the workload cluster, the
// hash of the cluster CA it reads from the <cluster>-ca Secret, and (only
// when the Cluster has none) the control-plane endpoint.
type inputs struct {
	token    string
	caHashes []string
	endpoint string
}

// node is one Machine's bootstrap config, as CABPK would see it.
type node struct {
	owner   string
	cluster *clusterv1.Cluster
	machine *clusterv1.Machine
	config  *bootstrapv1.KubeadmConfig
}

// rendered is what CABPK writes to the node's kubeadm config file, and the
// files of its spec as it hands them to the bootstrap data (contentFrom
// resolved, templates rendered, the encoding still applied).
type rendered struct {
	Owner             string         `json:"owner"`
	Role              string         `json:"role"`
	KubernetesVersion string         `json:"kubernetesVersion"`
	Documents         []string       `json:"documents"`
	KubeadmConfig     string         `json:"kubeadmConfig"`
	Files             []renderedFile `json:"files"`
}

// pickNode finds the one bootstrap config of the manifests and the Machine it
// belongs to, creating the KubeadmConfig and Machine the way Cluster API's
// owners do for templates.
func pickNode(objs *objects, in inputs) (*node, error) {
	if len(objs.clusters) != 1 {
		return nil, fmt.Errorf("the manifests hold %d Cluster objects; CABPK needs exactly one", len(objs.clusters))
	}
	cluster := objs.clusters[0]
	// Cluster.spec.controlPlaneEndpoint is what CABPK reads; the -endpoint
	// flag stands in for it only where the manifests leave it out.
	if in.endpoint != "" {
		host, port, err := splitEndpoint(in.endpoint)
		if err != nil {
			return nil, err
		}
		if cluster.Spec.ControlPlaneEndpoint.IsValid() {
			if cluster.Spec.ControlPlaneEndpoint.String() != in.endpoint {
				return nil, fmt.Errorf("-endpoint %s differs from Cluster.spec.controlPlaneEndpoint %s", in.endpoint, cluster.Spec.ControlPlaneEndpoint.String())
			}
		} else {
			cluster.Spec.ControlPlaneEndpoint = clusterv1.APIEndpoint{Host: host, Port: port}
		}
	}
	// The node's config is the KubeadmConfig or KubeadmConfigTemplate; a
	// KubeadmControlPlane next to one is only the Cluster's control plane
	// (whose version file templates read).
	configs := len(objs.configs) + len(objs.templates)
	if configs > 1 || configs == 0 && len(objs.controlPlanes) != 1 {
		return nil, fmt.Errorf("the manifests hold %d KubeadmConfig or KubeadmConfigTemplate and %d KubeadmControlPlane objects; one bootstrap config is needed", configs, len(objs.controlPlanes))
	}
	switch {
	case configs == 0:
		kcp := objs.controlPlanes[0].DeepCopy()
		webhook := &controlplaneadmission.KubeadmControlPlane{}
		// The KubeadmControlPlane admission webhook's Default and ValidateCreate.
		if err := webhook.Default(context.Background(), kcp); err != nil {
			return nil, err
		}
		if _, err := webhook.ValidateCreate(context.Background(), kcp); err != nil {
			return nil, fmt.Errorf("KubeadmControlPlane %s: %w", kcp.Name, err)
		}
		// KCP creates one Machine at a time: the first one runs kubeadm init
		// (no joinConfiguration), later ones join once the control plane is
		// initialized (no initConfiguration, controlPlane set), and 1.31 to
		// 1.35 get the ControlPlaneKubeletLocalMode gate. These are KCP's own
		// ComputeDesiredMachine and ComputeDesiredKubeadmConfig.
		machine, err := desiredstate.ComputeDesiredMachine(kcp, cluster, "", nil)
		if err != nil {
			return nil, err
		}
		config, err := desiredstate.ComputeDesiredKubeadmConfig(kcp, cluster, controlPlaneInitialized(cluster), machine.Name, nil)
		if err != nil {
			return nil, err
		}
		return &node{owner: "KubeadmControlPlane/" + kcp.Name, cluster: cluster, machine: machine, config: config}, nil
	case len(objs.templates) == 1:
		tpl := objs.templates[0]
		if _, err := (&bootstrapadmission.KubeadmConfigTemplate{}).ValidateCreate(context.Background(), tpl); err != nil {
			return nil, err
		}
		var md *clusterv1.MachineDeployment
		for _, d := range objs.machineDeployments {
			ref := d.Spec.Template.Spec.Bootstrap.ConfigRef
			if ref.Kind == "KubeadmConfigTemplate" && ref.Name == tpl.Name {
				md = d
			}
		}
		if md == nil {
			return nil, fmt.Errorf("no MachineDeployment names KubeadmConfigTemplate %s in spec.template.spec.bootstrap.configRef", tpl.Name)
		}
		// MachineSet computeDesiredMachine(): each Machine takes the
		// MachineDeployment's template (labels and spec, hence the version).
		// createBootstrapConfig(): its KubeadmConfig is the template's
		// spec.template (metadata labels and spec).
		machine := &clusterv1.Machine{}
		machine.Name = md.Name + "-0"
		machine.Namespace = md.Namespace
		machine.Labels = md.Spec.Template.ObjectMeta.Labels
		machine.Spec = *md.Spec.Template.Spec.DeepCopy()
		config := &bootstrapv1.KubeadmConfig{}
		config.Name = machine.Name
		config.Namespace = tpl.Namespace
		config.Labels = tpl.Spec.Template.ObjectMeta.Labels
		config.Spec = *tpl.Spec.Template.Spec.DeepCopy()
		return &node{owner: "MachineDeployment/" + md.Name, cluster: cluster, machine: machine, config: config}, nil
	default:
		config := objs.configs[0].DeepCopy()
		if _, err := (&bootstrapadmission.KubeadmConfig{}).ValidateCreate(context.Background(), config); err != nil {
			return nil, err
		}
		var machine *clusterv1.Machine
		for _, m := range objs.machines {
			ref := m.Spec.Bootstrap.ConfigRef
			if ref.Kind == "KubeadmConfig" && ref.Name == config.Name {
				machine = m
			}
		}
		if machine == nil {
			return nil, fmt.Errorf("no Machine names KubeadmConfig %s in spec.bootstrap.configRef", config.Name)
		}
		return &node{owner: "Machine/" + machine.Name, cluster: cluster, machine: machine, config: config}, nil
	}
}

// controlPlaneInitialized reads the Cluster's ControlPlaneInitialized
// condition, as the reconciler does before choosing init or join. A Cluster
// written in v1beta1 by an older Cluster API carries only the v1beta1
// condition (conversion keeps it under status.deprecated); the v1beta2 one
// that the Cluster controller would set from the same facts is then taken
// from it.
func controlPlaneInitialized(cluster *clusterv1.Cluster) bool {
	if conditions.Has(cluster, clusterv1.ClusterControlPlaneInitializedCondition) {
		return conditions.IsTrue(cluster, clusterv1.ClusterControlPlaneInitializedCondition)
	}
	return v1beta1conditions.IsTrue(cluster, clusterv1.ControlPlaneInitializedV1Beta1Condition)
}

// render runs the reconciler's steps for the node, up to the kubeadm documents.
func render(n *node, objs *objects, in inputs) (*rendered, error) {
	// reconcile(): nothing is generated until the infrastructure is provisioned.
	if !ptr.Deref(n.cluster.Status.Initialization.InfrastructureProvisioned, false) {
		return nil, errors.New("the Cluster's infrastructure is not provisioned: CABPK waits")
	}
	// ConfigOwner.IsControlPlaneMachine(): the control-plane label, any value.
	_, isControlPlane := n.machine.Labels[clusterv1.MachineControlPlaneLabel]
	// ConfigOwner.KubernetesVersion(): the Machine's spec.version, parsed tolerantly.
	version, err := semver.ParseTolerant(n.machine.Spec.Version)
	if err != nil {
		return nil, fmt.Errorf("Machine version %q: %w", n.machine.Spec.Version, err)
	}
	out := &rendered{Owner: n.owner, KubernetesVersion: n.machine.Spec.Version}
	spec := n.config.Spec.DeepCopy()
	switch {
	case !controlPlaneInitialized(n.cluster):
		// handleClusterNotInitialized(): only a control-plane Machine runs kubeadm init.
		if !isControlPlane {
			return nil, errors.New("the control plane is not initialized and the Machine is no control-plane Machine: CABPK requeues")
		}
		out.Role = "init"
		data := additionalData(n.cluster, n.machine, &spec.ClusterConfiguration, &spec.InitConfiguration)
		clusterDoc, err := kubeadmtypes.MarshalClusterConfigurationForVersion(&spec.ClusterConfiguration, version, data)
		if err != nil {
			return nil, err
		}
		initDoc, err := kubeadmtypes.MarshalInitConfigurationForVersion(&spec.InitConfiguration, version)
		if err != nil {
			return nil, err
		}
		// The node's config file holds ClusterConfiguration, then InitConfiguration.
		out.Documents = []string{clusterDoc, initDoc}
	case isControlPlane:
		// joinControlplane(): controlPlane is set even when the config leaves it out.
		out.Role = "control-plane"
		if spec.JoinConfiguration.ControlPlane == nil {
			spec.JoinConfiguration.ControlPlane = &bootstrapv1.JoinControlPlane{}
		}
		if err := discovery(n.cluster, spec, in); err != nil {
			return nil, err
		}
		joinDoc, err := kubeadmtypes.MarshalJoinConfigurationForVersion(&spec.JoinConfiguration, version)
		if err != nil {
			return nil, err
		}
		out.Documents = []string{joinDoc}
	default:
		// joinWorker()
		out.Role = "worker"
		if err := discovery(n.cluster, spec, in); err != nil {
			return nil, err
		}
		// The rendered (not the stored) join config gets Cluster API's
		// uninitialized taint, unless it is there already.
		join := spec.JoinConfiguration.DeepCopy()
		current := ptr.Deref(join.NodeRegistration.Taints, []corev1.Taint{})
		if !hasTaint(current, clusterv1.NodeUninitializedTaint) {
			join.NodeRegistration.Taints = ptr.To(append(current, clusterv1.NodeUninitializedTaint))
		}
		joinDoc, err := kubeadmtypes.MarshalJoinConfigurationForVersion(join, version)
		if err != nil {
			return nil, err
		}
		// A worker must not carry joinConfiguration.controlPlane.
		if spec.JoinConfiguration.ControlPlane != nil {
			return nil, errors.New("the Machine is a worker, but joinConfiguration.controlPlane is set: CABPK refuses it")
		}
		out.Documents = []string{joinDoc}
	}
	out.KubeadmConfig = strings.Join(out.Documents, "---\n")
	files, err := resolveFiles(n, objs)
	if err != nil {
		return nil, err
	}
	out.Files = files
	return out, nil
}

// additionalData mirrors computeClusterConfigurationAndAdditionalData(): the
// endpoint, name, networks and version kubeadm's ClusterConfiguration takes
// from the Cluster and the Machine rather than from the KubeadmConfig.
func additionalData(cluster *clusterv1.Cluster, machine *clusterv1.Machine, cc *bootstrapv1.ClusterConfiguration, ic *bootstrapv1.InitConfiguration) *upstream.AdditionalData {
	data := &upstream.AdditionalData{}
	// An empty controlPlaneEndpoint defaults to the Cluster's (a load balancer, typically).
	if cc.ControlPlaneEndpoint == "" && cluster.Spec.ControlPlaneEndpoint.IsValid() {
		cc.ControlPlaneEndpoint = cluster.Spec.ControlPlaneEndpoint.String()
	}
	// clusterName is always the Cluster's name.
	data.ClusterName = ptr.To(cluster.Name)
	// Networking, where the Cluster sets it: DNS domain, then the CIDR blocks, comma-joined.
	network := cluster.Spec.ClusterNetwork
	if network.ServiceDomain != "" {
		data.DNSDomain = ptr.To(network.ServiceDomain)
	}
	if len(network.Services.CIDRBlocks) > 0 {
		data.ServiceSubnet = ptr.To(network.Services.String())
	}
	if len(network.Pods.CIDRBlocks) > 0 {
		data.PodSubnet = ptr.To(network.Pods.String())
	}
	// kubernetesVersion is the Machine's.
	if machine.Spec.Version != "" {
		data.KubernetesVersion = ptr.To(machine.Spec.Version)
	}
	// The init timeout goes back into ClusterConfiguration for kubeadm v1beta3.
	if ic.Timeouts.ControlPlaneComponentHealthCheckSeconds != nil {
		data.ControlPlaneComponentHealthCheckSeconds = ic.Timeouts.ControlPlaneComponentHealthCheckSeconds
	}
	return data
}

// discovery mirrors reconcileDiscovery() for token discovery: what the
// config leaves empty is filled in (CA hashes, the API server endpoint from
// the Cluster, a bootstrap token), and without CA hashes the CA is not
// verified.
func discovery(cluster *clusterv1.Cluster, spec *bootstrapv1.KubeadmConfigSpec, in inputs) error {
	if spec.JoinConfiguration.Discovery.File.IsDefined() {
		return errors.New("joinConfiguration.discovery.file is set: file discovery is not reproduced here")
	}
	token := &spec.JoinConfiguration.Discovery.BootstrapToken
	if len(token.CACertHashes) == 0 {
		token.CACertHashes = append([]string(nil), in.caHashes...)
	}
	if token.APIServerEndpoint == "" {
		if !cluster.Spec.ControlPlaneEndpoint.IsValid() {
			return errors.New("the Cluster has no controlPlaneEndpoint (pass -endpoint): CABPK waits for one")
		}
		token.APIServerEndpoint = cluster.Spec.ControlPlaneEndpoint.String()
	}
	if token.Token == "" {
		if in.token == "" {
			return errors.New("the join config has no bootstrap token: pass -token")
		}
		token.Token = in.token
	}
	if len(token.CACertHashes) == 0 {
		token.UnsafeSkipCAVerification = ptr.To(true)
	}
	return nil
}

// hasTaint tells whether a taint with the same key and effect is in the
// list (core/v1's MatchTaint, as Cluster API's internal taint helper uses).
func hasTaint(list []corev1.Taint, want corev1.Taint) bool {
	for i := range list {
		if list[i].MatchTaint(&want) {
			return true
		}
	}
	return false
}

// splitEndpoint reads host:port.
func splitEndpoint(s string) (string, int32, error) {
	i := strings.LastIndex(s, ":")
	if i <= 0 {
		return "", 0, fmt.Errorf("-endpoint %q: want host:port", s)
	}
	var port int32
	if _, err := fmt.Sscanf(s[i+1:], "%d", &port); err != nil || port <= 0 {
		return "", 0, fmt.Errorf("-endpoint %q: the port is not a number", s)
	}
	return s[:i], port, nil
}
