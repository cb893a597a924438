use super::*;

fn known() -> ControlPlane {
    ControlPlane::Version("v1.35.0".into())
}

fn ok(text: &str, cp: &ControlPlane) -> String {
    render(text, cp).unwrap_or_else(|e| panic!("{text:?}: {e}")).text
}

fn err(text: &str, cp: &ControlPlane) -> String {
    render(text, cp).expect_err(text)
}

// The expected values are what Go's text/template gives for the same
// text and data (tests/capi/capi_cabpk.rs checks the fixtures against Go itself).
#[test]
fn renders_like_go() {
    let absent = ControlPlane::Absent;
    assert_eq!(ok("k={{ .controlPlane.version }}\n", &known()), "k=v1.35.0\n");
    assert_eq!(ok("k={{ .controlPlane.version }}\n", &absent), "k=<no value>\n");
    assert_eq!(ok("{{ .controlPlane }}", &known()), "map[version:v1.35.0]");
    assert_eq!(
        ok("{{ . }}|{{ $ }}", &known()),
        "map[controlPlane:map[version:v1.35.0]]|map[controlPlane:map[version:v1.35.0]]"
    );
    assert_eq!(ok("{{ . }}", &absent), "map[]");
    assert_eq!(ok("{{ if .controlPlane }}yes{{ else }}no{{ end }}", &known()), "yes");
    assert_eq!(ok("{{ if .controlPlane }}yes{{ else }}no{{ end }}", &absent), "no");
    assert_eq!(
        ok("{{ with .controlPlane }}{{ .version }}{{ $.controlPlane.version }}{{ end }}", &known()),
        "v1.35.0v1.35.0"
    );
    assert_eq!(ok("{{ with .controlPlane }}{{ .version }}{{ else }}none{{ end }}", &absent), "none");
    assert_eq!(ok("{{ if .x }}a{{ else if .controlPlane }}b{{ else }}c{{ end }}", &known()), "b");
    assert_eq!(ok("{{ if .x }}a{{ else if .controlPlane }}b{{ else }}c{{ end }}", &absent), "c");
    assert_eq!(ok("{{ with .x }}a{{ else with .controlPlane.version }}{{ . }}{{ end }}", &known()), "v1.35.0");
    assert_eq!(ok("a  {{- .controlPlane.version -}}  b", &known()), "av1.35.0b");
    assert_eq!(ok("{{ .controlPlane.version\t-}}\r\n\n x", &known()), "v1.35.0x");
    assert_eq!(ok("a {{/* note */}} b {{- /* trimmed */ -}} c", &known()), "a  bc");
    assert_eq!(ok("{{.controlPlane.version}}}}", &known()), "v1.35.0}}");
    assert_eq!(ok("{{\n.controlPlane.version\n}}", &known()), "v1.35.0");
    assert_eq!(ok("{{ .foo.bar }} {{ .controlPlane.Version }}", &known()), "<no value> <no value>");
    assert_eq!(ok("{{ with .controlPlane }}{{ .version.x }}{{ end }}", &absent), "");
    assert_eq!(ok("no actions at all", &ControlPlane::Unknown("why".into())), "no actions at all");
    let r = render("{{ .controlPlane.version }}{{ .controlPlane.version }}{{ .x }}", &absent).unwrap();
    assert_eq!(r.no_value, [".controlPlane.version", ".x"]);
}

#[test]
fn refuses_what_it_cannot_render_faithfully() {
    let cases = [
        ("{{ .controlPlane.version | len }}", "a pipeline (|)"),
        ("{{ printf \"%s\" .controlPlane.version }}", "the function printf"),
        ("{{ if eq .controlPlane.version \"v1\" }}{{ end }}", "the function eq"),
        ("{{ $v := .controlPlane.version }}", "a variable"),
        ("{{ .controlPlane.version := 1 }}", "a variable declaration (:=)"),
        ("{{ $x.version }}", "a variable"),
        ("{{ with $x := .controlPlane }}{{ $x.version }}{{ end }}", "a variable"),
        ("{{ \"}}\" }}", "a string or character constant"),
        ("{{ range .controlPlane }}{{ end }}", "{{ range }}"),
        ("{{ define \"x\" }}{{ end }}", "{{ define }}"),
        ("{{ true }}", "the constant true"),
        ("a {{-3}} b", "a number constant"),
        ("{{ ( .controlPlane.version ) }}", "a parenthesised pipeline"),
        ("{{ .controlPlane .version }}", "more than one operand"),
        ("{{ if .a }}{{ else with .b }}{{ end }}", "{{ else with }} inside {{ if }}"),
    ];
    for (text, want) in cases {
        let e = err(text, &known());
        assert!(e.contains(want) && e.contains("is not supported") && e.starts_with("line 1: "), "{text}: {e}");
    }
    // What Go itself refuses to parse.
    for (text, want) in [
        ("{{ .controlPlane.version }", "the character '}'"),
        ("{{ .controlPlane.version", "never closed"),
        ("{{ \"}}", "unterminated quoted string"),
        ("x\n{{ if .controlPlane }}", "line 2: {{ if }} has no {{ end }}"),
        ("{{ end }}", "closes nothing"),
        ("{{ else }}", "outside"),
        ("{{ }}", "is empty"),
        ("{{ /* c */ }}", "not a valid Go template action"),
        ("{{/* c */ x }}", "must end with */}}"),
        ("{{/* c", "never closed"),
        ("{{ if .a }}{{ else }}{{ else }}{{ end }}", "a second {{ else }}"),
        ("{{ nosuch }}", "no function of Go templates"),
        ("{{ .a-b }}", "not a valid Go template action (it holds the character '-')"),
    ] {
        let e = err(text, &known());
        assert!(e.contains(want), "{text}: {e}");
    }
    // Field of a string: Go fails while rendering.
    let e = err("{{ .controlPlane.version.x }}", &known());
    assert!(e.contains(".controlPlane.version is a string, which has no field x"), "{e}");
}

#[test]
fn an_unknown_control_plane_fails_only_where_it_is_needed() {
    let unknown = ControlPlane::Unknown("the manifests hold no Cluster".into());
    for text in ["{{ .controlPlane.version }}", "{{ if .controlPlane }}{{ end }}", "{{ . }}", "{{ with $ }}{{ end }}"] {
        let e = err(text, &unknown);
        assert!(e.contains("needs the control plane's version, and the manifests hold no Cluster"), "{text}: {e}");
    }
    assert_eq!(ok("{{ .other }}", &unknown), "<no value>");
    // A branch not taken is never evaluated.
    assert_eq!(ok("{{ with .nothing }}{{ $.controlPlane.version }}{{ end }}", &unknown), "");
}

#[test]
fn versions_are_normalised_like_cabpk() {
    for (given, want) in [
        ("v1.35.0", "v1.35.0"),
        ("1.35", "v1.35.0"),
        (" v1.31.4 ", "v1.31.4"),
        ("v1", "v1.0.0"),
        ("v1.031.04", "v1.31.4"),
        ("v1.36.0-rc.1+build.5", "v1.36.0-rc.1+build.5"),
        ("00.0.00", "v0.0.0"),
    ] {
        assert_eq!(normalize_version(given).as_deref(), Ok(want), "{given}");
    }
    for bad in ["", "latest", "v1.x.0", "1.35-rc.1", "v1.2.3-01", "v1.2.3+", "v1.2.3-a_b", "v1.2.3.4"] {
        assert!(normalize_version(bad).is_err(), "{bad}");
    }
}

/// Every short text of template pieces renders or is refused, never panics.
#[test]
fn any_text_renders_or_is_refused() {
    const PIECES: [&str; 16] =
        ["{{", "}}", "-", " ", ".", "x", "/*", "*/", "\"", "é", "$", "if ", "end", "else ", "\n", ".controlPlane"];
    let mut texts = vec![String::new()];
    for _ in 0..4 {
        texts = texts.iter().flat_map(|t| PIECES.iter().map(move |p| format!("{t}{p}"))).collect();
        for t in &texts {
            for cp in [known(), ControlPlane::Absent, ControlPlane::Unknown("why".into())] {
                let _ = render(t, &cp);
            }
        }
    }
}

#[test]
fn nesting_is_bounded() {
    let nested = |n: usize| format!("{}x{}", "{{ if . }}".repeat(n), "{{ end }}".repeat(n));
    assert_eq!(ok(&nested(MAX_DEPTH), &known()), "x");
    assert!(err(&nested(100_000), &known()).contains("deeper than 100 levels"));
    let chain = |n: usize| format!("{{{{ if .a }}}}{}{{{{ end }}}}", "{{ else if .b }}".repeat(n));
    assert_eq!(ok(&chain(MAX_DEPTH - 1), &known()), "");
    assert!(err(&chain(100_000), &known()).contains("deeper than 100 levels"));
}

#[test]
fn output_is_limited_to_one_mebibyte() {
    let big = "x".repeat(MAX_RENDERED_BYTES);
    assert_eq!(ok(&big, &known()).len(), MAX_RENDERED_BYTES);
    let e = err(&format!("{big}{{{{ .controlPlane.version }}}}"), &known());
    assert!(e.contains("1048576 bytes"), "{e}");
}
