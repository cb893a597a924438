package main

// The files of a node's bootstrap data, as Cluster API v1.14.2's
// KubeadmConfig reconciler prepares them
// (bootstrap/kubeadm/reconcilers/kubeadmconfig/kubeadmconfig_controller.go:
// resolveFiles, getControlPlaneVersion, resolveSecretFileContent; and
// template.go: templateData, renderTemplates, limitedWriter). Those are
// methods of the reconciler or unexported, so the steps are restated here
// over the manifests' objects instead of an API server, each naming the
// function it stands for.

import (
	"bytes"
	"fmt"
	"io"
	"text/template"

	"github.com/blang/semver/v4"

	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// renderedFile is one entry of the node's files after resolveFiles.
type renderedFile struct {
	Path        string `json:"path"`
	Owner       string `json:"owner"`
	Permissions string `json:"permissions"`
	Encoding    string `json:"encoding"`
	Content     string `json:"content"`
}

// maxRenderedTemplateBytes is template.go's bound on one rendered file.
const maxRenderedTemplateBytes = 1 << 20

// limitedWriter is template.go's writer that refuses output past the bound.
type limitedWriter struct {
	w         io.Writer
	remaining int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > l.remaining {
		return 0, fmt.Errorf("rendered output exceeds the %d byte limit", maxRenderedTemplateBytes)
	}
	l.remaining -= len(p)
	return l.w.Write(p)
}

// getControlPlaneVersion: the spec.version of the object the Cluster's
// controlPlaneRef names; "" without a reference or a version. CABPK reads
// the object from the API server and fails when it is not there; here it
// must be among the manifests.
func getControlPlaneVersion(cluster *clusterv1.Cluster, objs *objects) (string, error) {
	ref := cluster.Spec.ControlPlaneRef
	if !ref.IsDefined() {
		return "", nil
	}
	var found *controlplanev1.KubeadmControlPlane
	for _, kcp := range objs.controlPlanes {
		if ref.APIGroup == controlplanev1.GroupVersion.Group && ref.Kind == "KubeadmControlPlane" && ref.Name == kcp.Name {
			found = kcp
		}
	}
	if found == nil {
		return "", fmt.Errorf("failed to read control plane version: %s %s/%s is not in the manifests", ref.Kind, ref.APIGroup, ref.Name)
	}
	return found.Spec.Version, nil
}

// templateData as template.go builds it: {"controlPlane": {"version": v}},
// or an empty map when the version is not known.
func templateData(controlPlaneVersion string) map[string]interface{} {
	if controlPlaneVersion == "" {
		return map[string]interface{}{}
	}
	return map[string]interface{}{
		"controlPlane": map[string]interface{}{
			"version": controlPlaneVersion,
		},
	}
}

// renderTemplates as template.go has it: every Template file parsed with
// text/template under its path and executed with the data into a writer
// bounded at 1 MiB; its contentFormat is cleared afterwards.
func renderTemplates(files []bootstrapv1.File, data map[string]interface{}) ([]bootstrapv1.File, error) {
	out := make([]bootstrapv1.File, len(files))
	copy(out, files)
	for i := range out {
		if out[i].ContentFormat != bootstrapv1.FileContentFormatTemplate {
			continue
		}
		tpl, err := template.New(out[i].Path).Parse(out[i].Content)
		if err != nil {
			return nil, fmt.Errorf("failed to parse template for file %q: %w", out[i].Path, err)
		}
		var buf bytes.Buffer
		if err := tpl.Execute(&limitedWriter{w: &buf, remaining: maxRenderedTemplateBytes}, data); err != nil {
			return nil, fmt.Errorf("failed to execute template for file %q: %w", out[i].Path, err)
		}
		out[i].Content = buf.String()
		out[i].ContentFormat = ""
	}
	return out, nil
}

// resolveFiles: the control plane version, normalised to "v" + a full
// semantic version; each contentFrom read from its Secret
// (resolveSecretFileContent); then renderTemplates.
func resolveFiles(n *node, objs *objects) ([]renderedFile, error) {
	cpVersion, err := getControlPlaneVersion(n.cluster, objs)
	if err != nil {
		return nil, err
	}
	if cpVersion != "" {
		parsed, err := semver.ParseTolerant(cpVersion)
		if err != nil {
			return nil, fmt.Errorf("failed to parse control plane version %q for template data: %w", cpVersion, err)
		}
		cpVersion = "v" + parsed.String()
	}
	collected := make([]bootstrapv1.File, 0, len(n.config.Spec.Files))
	for i := range n.config.Spec.Files {
		in := n.config.Spec.Files[i]
		if in.ContentFrom.IsDefined() {
			secret, ok := objs.secrets[in.ContentFrom.Secret.Name]
			if !ok {
				return nil, fmt.Errorf("failed to resolve file source: secret not found: %s", in.ContentFrom.Secret.Name)
			}
			data, ok := secret[in.ContentFrom.Secret.Key]
			if !ok {
				return nil, fmt.Errorf("failed to resolve file source: secret references non-existent secret key: %q", in.ContentFrom.Secret.Key)
			}
			in.ContentFrom = bootstrapv1.FileSource{}
			in.Content = string(data)
		}
		collected = append(collected, in)
	}
	files, err := renderTemplates(collected, templateData(cpVersion))
	if err != nil {
		return nil, fmt.Errorf("failed to render templates: %w", err)
	}
	out := make([]renderedFile, 0, len(files))
	for _, f := range files {
		out = append(out, renderedFile{Path: f.Path, Owner: f.Owner, Permissions: f.Permissions, Encoding: string(f.Encoding), Content: f.Content})
	}
	return out, nil
}
