package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	bootstrapv1beta1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta1"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1beta1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta1"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	bootstrapconversion "sigs.k8s.io/cluster-api/bootstrap/kubeadm/webhooks/conversion"
	controlplaneconversion "sigs.k8s.io/cluster-api/controlplane/kubeadm/webhooks/conversion"
	coreconversion "sigs.k8s.io/cluster-api/core/webhooks/conversion"
)

// objects holds the Cluster API objects of one manifest file, every one in
// its v1beta2 (hub) shape.
type objects struct {
	clusters           []*clusterv1.Cluster
	machines           []*clusterv1.Machine
	machineDeployments []*clusterv1.MachineDeployment
	configs            []*bootstrapv1.KubeadmConfig
	templates          []*bootstrapv1.KubeadmConfigTemplate
	controlPlanes      []*controlplanev1.KubeadmControlPlane
	// secrets holds each Secret's data by name, stringData merged in as
	// the API server does when it stores the Secret.
	secrets map[string]map[string][]byte
}

// decodeManifests reads a multi-document YAML stream. Each document is
// decoded strictly into the Cluster API type its apiVersion and kind name (a
// field the type does not have is an error), and v1beta1 objects are taken
// to v1beta2 with Cluster API's own conversion functions, the ones its
// conversion webhooks run.
func decodeManifests(r io.Reader) (*objects, error) {
	ctx := context.Background()
	out := &objects{secrets: map[string]map[string][]byte{}}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if isBlank(doc) {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("document %d: not YAML: %w", n, err)
		}
		gv, err := schema.ParseGroupVersion(meta.APIVersion)
		if err != nil {
			return nil, fmt.Errorf("document %d: apiVersion %q: %w", n, meta.APIVersion, err)
		}
		where := fmt.Sprintf("document %d (%s %s)", n, meta.APIVersion, meta.Kind)
		// As the API server decodes: field names match case-sensitively,
		// and an unknown or repeated field is an error.
		strict := func(into any) error {
			data, err := yaml.YAMLToJSON(doc)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			strictErrs, err := sigsjson.UnmarshalStrict(data, into)
			if err == nil {
				err = errors.Join(strictErrs...)
			}
			if err != nil {
				return fmt.Errorf("%s: Cluster API's type does not take it: %w", where, err)
			}
			return nil
		}
		converted := func(err error) error {
			if err != nil {
				return fmt.Errorf("%s: conversion to v1beta2 failed: %w", where, err)
			}
			return nil
		}
		switch {
		case gv.Group == "" && gv.Version == "v1" && meta.Kind == "Secret":
			// Secrets feed spec.files (contentFrom).
			o := &corev1.Secret{}
			if err := strict(o); err != nil {
				return nil, err
			}
			data := map[string][]byte{}
			for k, v := range o.Data {
				data[k] = v
			}
			for k, v := range o.StringData {
				data[k] = []byte(v)
			}
			out.secrets[o.Name] = data
		case gv == clusterv1.GroupVersion && meta.Kind == "Cluster":
			o := &clusterv1.Cluster{}
			if err := strict(o); err != nil {
				return nil, err
			}
			out.clusters = append(out.clusters, o)
		case gv == clusterv1beta1.GroupVersion && meta.Kind == "Cluster":
			src, o := &clusterv1beta1.Cluster{}, &clusterv1.Cluster{}
			if err := strict(src); err != nil {
				return nil, err
			}
			if err := converted(coreconversion.ConvertClusterV1Beta1ToHub(ctx, src, o)); err != nil {
				return nil, err
			}
			out.clusters = append(out.clusters, o)
		case gv == clusterv1.GroupVersion && meta.Kind == "Machine":
			o := &clusterv1.Machine{}
			if err := strict(o); err != nil {
				return nil, err
			}
			out.machines = append(out.machines, o)
		case gv == clusterv1beta1.GroupVersion && meta.Kind == "Machine":
			src, o := &clusterv1beta1.Machine{}, &clusterv1.Machine{}
			if err := strict(src); err != nil {
				return nil, err
			}
			if err := converted(coreconversion.ConvertMachineV1Beta1ToHub(ctx, src, o)); err != nil {
				return nil, err
			}
			out.machines = append(out.machines, o)
		case gv == clusterv1.GroupVersion && meta.Kind == "MachineDeployment":
			o := &clusterv1.MachineDeployment{}
			if err := strict(o); err != nil {
				return nil, err
			}
			out.machineDeployments = append(out.machineDeployments, o)
		case gv == clusterv1beta1.GroupVersion && meta.Kind == "MachineDeployment":
			src, o := &clusterv1beta1.MachineDeployment{}, &clusterv1.MachineDeployment{}
			if err := strict(src); err != nil {
				return nil, err
			}
			if err := converted(coreconversion.ConvertMachineDeploymentV1Beta1ToHub(ctx, src, o)); err != nil {
				return nil, err
			}
			out.machineDeployments = append(out.machineDeployments, o)
		case gv == bootstrapv1.GroupVersion && meta.Kind == "KubeadmConfig":
			o := &bootstrapv1.KubeadmConfig{}
			if err := strict(o); err != nil {
				return nil, err
			}
			out.configs = append(out.configs, o)
		case gv == bootstrapv1beta1.GroupVersion && meta.Kind == "KubeadmConfig":
			src, o := &bootstrapv1beta1.KubeadmConfig{}, &bootstrapv1.KubeadmConfig{}
			if err := strict(src); err != nil {
				return nil, err
			}
			if err := converted(bootstrapconversion.ConvertKubeadmConfigV1Beta1ToHub(ctx, src, o)); err != nil {
				return nil, err
			}
			out.configs = append(out.configs, o)
		case gv == bootstrapv1.GroupVersion && meta.Kind == "KubeadmConfigTemplate":
			o := &bootstrapv1.KubeadmConfigTemplate{}
			if err := strict(o); err != nil {
				return nil, err
			}
			out.templates = append(out.templates, o)
		case gv == bootstrapv1beta1.GroupVersion && meta.Kind == "KubeadmConfigTemplate":
			src, o := &bootstrapv1beta1.KubeadmConfigTemplate{}, &bootstrapv1.KubeadmConfigTemplate{}
			if err := strict(src); err != nil {
				return nil, err
			}
			if err := converted(bootstrapconversion.ConvertKubeadmConfigTemplateV1Beta1ToHub(ctx, src, o)); err != nil {
				return nil, err
			}
			out.templates = append(out.templates, o)
		case gv == controlplanev1.GroupVersion && meta.Kind == "KubeadmControlPlane":
			o := &controlplanev1.KubeadmControlPlane{}
			if err := strict(o); err != nil {
				return nil, err
			}
			out.controlPlanes = append(out.controlPlanes, o)
		case gv == controlplanev1beta1.GroupVersion && meta.Kind == "KubeadmControlPlane":
			src, o := &controlplanev1beta1.KubeadmControlPlane{}, &controlplanev1.KubeadmControlPlane{}
			if err := strict(src); err != nil {
				return nil, err
			}
			if err := converted(controlplaneconversion.ConvertKubeadmControlPlaneV1Beta1ToHub(ctx, src, o)); err != nil {
				return nil, err
			}
			out.controlPlanes = append(out.controlPlanes, o)
		default:
			return nil, fmt.Errorf("%s: not a kind this program reads (Cluster, Machine, MachineDeployment, KubeadmConfig, KubeadmConfigTemplate, KubeadmControlPlane in v1beta1 or v1beta2, Secret)", where)
		}
	}
	return out, nil
}

// isBlank tells whether a YAML document holds nothing but comments and blank lines.
func isBlank(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' && !bytes.Equal(line, []byte("---")) {
			return false
		}
	}
	return true
}
