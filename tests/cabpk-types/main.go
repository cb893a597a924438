// Command cabpk-types renders the kubeadm documents Cluster API's kubeadm
// bootstrap provider (CABPK) would give one node, for comparison with the
// provider's compat mode.
//
// It reads a multi-document YAML file of Cluster API objects (a Cluster, one
// bootstrap config — KubeadmConfig, KubeadmConfigTemplate or
// KubeadmControlPlane — and the Machine or MachineDeployment that owns it;
// v1beta1 objects are converted to v1beta2 with Cluster API's own conversion
// functions), applies the steps CABPK's KubeadmConfig reconciler takes
// before it marshals (cabpk.go: init or join, the ClusterConfiguration data
// from the Cluster and Machine, the join discovery, the uninitialized taint),
// and marshals them with Cluster API's bootstrap/kubeadm/pkg/types for the
// Machine's Kubernetes version. The node's files go through CABPK's
// resolveFiles steps (files.go): contentFrom read from the manifests'
// Secrets, `contentFormat: Template` rendered with Go's text/template and
// the control plane's version. It prints JSON: {"nodes": [{"owner", "role",
// "kubernetesVersion", "documents", "kubeadmConfig", "files": [{"path",
// "owner", "permissions", "encoding", "content"}]}]}.
//
//	cabpk-types -token abcdef.0123456789abcdef -ca-cert-hash sha256:... manifests.yaml
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/cluster-api/feature"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "cabpk-types: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("cabpk-types", flag.ContinueOnError)
	token := fs.String("token", "", "bootstrap token for joins whose discovery names none (CABPK creates one)")
	hashes := fs.String("ca-cert-hash", "", "comma-separated CA public key hashes (sha256:<hex>) for joins whose discovery names none")
	endpoint := fs.String("endpoint", "", "host:port used when the Cluster has no spec.controlPlaneEndpoint; must match it otherwise")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want one manifest file, got %d arguments (usage: cabpk-types [flags] FILE)", fs.NArg())
	}
	// Ignition output sits behind this gate in Cluster API; the admission
	// checks refuse format: ignition without it.
	if err := feature.MutableGates.Set(string(feature.KubeadmBootstrapFormatIgnition) + "=true"); err != nil {
		return err
	}
	in := inputs{token: *token, endpoint: *endpoint}
	for _, h := range strings.Split(*hashes, ",") {
		if h = strings.TrimSpace(h); h != "" {
			in.caHashes = append(in.caHashes, h)
		}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	objs, err := decodeManifests(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	n, err := pickNode(objs, in)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r, err := render(n, objs, in)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", path, n.owner, err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string][]*rendered{"nodes": {r}})
}
