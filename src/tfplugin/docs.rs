//! Registry documentation generated from schemas and example files, in the
//! Terraform registry layout:
//!
//! - `docs/index.md` from the provider schema and `examples/provider/provider.tf`;
//! - `docs/resources/<name>.md` from each resource schema,
//!   `examples/resources/<type>/resource.tf` and, when present, `import.sh`;
//! - `docs/data-sources/<name>.md` likewise from `examples/data-sources/<type>/data-source.tf`;
//! - `docs/ephemeral-resources/<name>.md` likewise from
//!   `examples/ephemeral-resources/<type>/ephemeral-resource.tf`.
//!
//! Check mode reports stale files instead of writing them, so CI fails when
//! the docs no longer match the code. Knows nothing of Kubernetes.

use std::fmt::Write as _;
use std::path::Path;

use super::framework::Provider;
use super::schema::{AttrKind, Attribute, Block, Mode, Nesting, Schema};
use super::types::Type;

/// Renders every page: (relative path, content).
pub fn render<P: Provider>(provider: &P, root: &Path) -> Vec<(String, String)> {
    let name = provider.type_name();
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).ok();
    let mut pages = Vec::new();

    let schema = provider.schema();
    let mut index = front_matter(&format!("{name} Provider"), &schema.block.description);
    let _ = writeln!(index, "# {name} Provider\n\n{}\n", schema.block.description);
    if let Some(ex) = read("examples/provider/provider.tf") {
        let _ = writeln!(index, "## Example Usage\n\n```terraform\n{}```\n", ensure_newline(&ex));
    }
    if let Some(extra) = read("examples/provider/index.md") {
        let _ = writeln!(index, "{}", ensure_newline(&extra));
    }
    index.push_str(&schema_section(&schema.block));
    pages.push(("docs/index.md".to_string(), tidy(index)));

    // Each kind of type: its folder (under docs/ and examples/), its example
    // file and its label, then the types of that kind by name.
    let kinds = [
        (
            "resources",
            "resource.tf",
            "Resource",
            provider.resources().iter().map(|r| (r.type_name(), r.schema())).collect::<Vec<_>>(),
        ),
        (
            "data-sources",
            "data-source.tf",
            "Data Source",
            provider.data_sources().iter().map(|d| (d.type_name(), d.schema())).collect(),
        ),
        (
            "ephemeral-resources",
            "ephemeral-resource.tf",
            "Ephemeral Resource",
            provider.ephemeral_resources().iter().map(|e| (e.type_name(), e.schema())).collect(),
        ),
    ];
    for (folder, example, label, mut types) in kinds {
        types.sort_by_key(|(t, _)| *t);
        for (t, schema) in types {
            let base = format!("examples/{folder}/{t}");
            // Only managed resources are imported.
            let import = if label == "Resource" { read(&format!("{base}/import.sh")) } else { None };
            pages.push((
                format!("docs/{folder}/{}.md", short(t, name)),
                page(t, label, &schema, read(&format!("{base}/{example}")), import, read(&format!("{base}/notes.md"))),
            ));
        }
    }
    pages
}

/// Writes the pages under `root`, or in check mode lists those that differ.
pub fn write_or_check<P: Provider>(provider: &P, root: &Path, check: bool) -> std::io::Result<Vec<String>> {
    let mut stale = Vec::new();
    for (rel, content) in render(provider, root) {
        let path = root.join(&rel);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(content.as_str()) {
            continue;
        }
        if check {
            stale.push(rel);
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, content)?;
        }
    }
    Ok(stale)
}

fn short<'a>(type_name: &'a str, provider: &str) -> &'a str {
    type_name.strip_prefix(provider).and_then(|s| s.strip_prefix('_')).unwrap_or(type_name)
}

fn ensure_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}

/// Collapses runs of blank lines and ends with exactly one newline.
fn tidy(s: String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}

fn first_sentence(s: &str) -> String {
    s.split("\n\n").next().unwrap_or("").replace('\n', " ")
}

fn front_matter(title: &str, description: &str) -> String {
    format!("---\npage_title: \"{title}\"\ndescription: |-\n  {}\n---\n\n", first_sentence(description))
}

fn page(
    type_name: &str,
    kind: &str,
    schema: &Schema,
    example: Option<String>,
    import: Option<String>,
    notes: Option<String>,
) -> String {
    let mut s = front_matter(&format!("{type_name} {kind}"), &schema.block.description);
    let _ = writeln!(s, "# {type_name} ({kind})\n\n{}\n", schema.block.description);
    if let Some(ex) = example {
        let _ = writeln!(s, "## Example Usage\n\n```terraform\n{}```\n", ensure_newline(&ex));
    }
    if let Some(n) = notes {
        let _ = writeln!(s, "{}", ensure_newline(&n));
    }
    s.push_str(&schema_section(&schema.block));
    if let Some(imp) = import {
        let _ = writeln!(
            s,
            "\n## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}```",
            ensure_newline(&imp)
        );
    }
    tidy(s)
}

fn type_label(t: &Type) -> String {
    match t {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_label(e)),
        Type::Set(e) => format!("Set of {}", type_label(e)),
        Type::Map(e) => format!("Map of {}", type_label(e)),
        Type::Object(..) => "Object".into(),
        Type::Tuple(..) => "Tuple".into(),
    }
}

fn nesting_label(n: Nesting) -> &'static str {
    match n {
        Nesting::Single | Nesting::Group => "Attributes",
        Nesting::List => "Attributes List",
        Nesting::Set => "Attributes Set",
        Nesting::Map => "Attributes Map",
    }
}

fn block_label(n: Nesting, max: i64) -> String {
    match n {
        Nesting::Single | Nesting::Group => "Block".into(),
        Nesting::List if max > 0 => format!("Block List, Max: {max}"),
        Nesting::List => "Block List".into(),
        Nesting::Set => "Block Set".into(),
        Nesting::Map => "Block Map".into(),
    }
}

fn attr_line(a: &Attribute, anchor_prefix: &str, nested: &mut Vec<(String, Block)>) -> String {
    let mut label = match &a.kind {
        AttrKind::Primitive(t) => type_label(t),
        AttrKind::Nested { nesting, attributes } => {
            let anchor = format!("{anchor_prefix}{}", a.name);
            nested.push((anchor.clone(), Block::new(attributes.clone())));
            format!("{}, see [below for nested schema](#nestedatt--{anchor})", nesting_label(*nesting))
        }
    };
    if a.sensitive {
        label.push_str(", Sensitive");
    }
    if a.write_only {
        label.push_str(", Write-only");
    }
    if a.deprecated.is_some() {
        label.push_str(", Deprecated");
    }
    let mut line = format!("- `{}` ({label})", a.name);
    if !a.description.is_empty() {
        line.push(' ');
        line.push_str(&a.description.replace('\n', " "));
    }
    if let Some(d) = &a.default {
        let ty = a.ty();
        let _ = write!(line, " Defaults to `{}`.", super::json::to_json(d, &ty));
    }
    if a.requires_replace {
        line.push_str(" Changing this forces a new resource.");
    }
    line
}

fn schema_section(block: &Block) -> String {
    let mut out = String::from("## Schema\n\n");
    let mut queue: Vec<(String, Block)> = Vec::new();
    write_block(&mut out, block, "", &mut queue);
    let mut i = 0;
    while i < queue.len() {
        let (anchor, b) = queue[i].clone();
        let _ = writeln!(
            out,
            "\n<a id=\"nestedatt--{anchor}\"></a>\n### Nested Schema for `{}`\n",
            anchor.replace("--", ".")
        );
        write_block(&mut out, &b, &format!("{anchor}--"), &mut queue);
        i += 1;
    }
    out
}

fn write_block(out: &mut String, block: &Block, anchor_prefix: &str, queue: &mut Vec<(String, Block)>) {
    type Pick = fn(Mode) -> bool;
    let groups: [(&str, Pick); 3] = [
        ("Required", |m| m == Mode::Required),
        ("Optional", |m| matches!(m, Mode::Optional | Mode::OptionalComputed)),
        ("Read-Only", |m| m == Mode::Computed),
    ];
    for (title, pick) in groups {
        let mut lines: Vec<String> =
            block.attributes.iter().filter(|a| pick(a.mode)).map(|a| attr_line(a, anchor_prefix, queue)).collect();
        if title == "Optional" {
            for b in &block.blocks {
                let anchor = format!("{anchor_prefix}{}", b.name);
                queue.push((anchor.clone(), b.block.clone()));
                let mut line = format!(
                    "- `{}` ({}, see [below for nested schema](#nestedatt--{anchor}))",
                    b.name,
                    block_label(b.nesting, b.max_items)
                );
                if !b.block.description.is_empty() {
                    line.push(' ');
                    line.push_str(&b.block.description.replace('\n', " "));
                }
                lines.push(line);
            }
        }
        lines.sort();
        if !lines.is_empty() {
            let _ = writeln!(out, "### {title}\n\n{}\n", lines.join("\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_collapses_blank_lines() {
        assert_eq!(tidy("a\n\n\n\nb  \n\n".into()), "a\n\nb\n");
    }

    #[test]
    fn attribute_lines() {
        let mut q = Vec::new();
        let a = Attribute::string("token").optional_computed().sensitive().requires_replace().describe("The token.");
        assert_eq!(
            attr_line(&a, "", &mut q),
            "- `token` (String, Sensitive) The token. Changing this forces a new resource."
        );
    }
}
