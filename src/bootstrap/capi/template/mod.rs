//! The file templates of Cluster API's kubeadm bootstrap provider.
//!
//! A `files[]` entry whose `contentFormat` is `Template` is rendered by CABPK
//! (Cluster API v1.14) with Go's `text/template`, after any `contentFrom`
//! Secret is read, with this data: `{"controlPlane": {"version": "v1.35.0"}}`,
//! the version being the `spec.version` of the object the Cluster's
//! `controlPlaneRef` names, normalised to a full semantic version with a
//! leading `v`. When the Cluster has no control plane reference (or the
//! control plane no `spec.version`) the data is an empty map. The rendered
//! text may not exceed 1 MiB.
//!
//! This module implements the part of the template language such files
//! use, with Go's results: text, comments (`{{/* ... */}}`), the trim
//! markers `{{- ` and ` -}}`, the operands `.`, `$` and field chains
//! (`.controlPlane.version`, `$.controlPlane`), `{{ if }}` and
//! `{{ with }}` with `{{ else }}`, `{{ else if }}`, `{{ else with }}` and
//! `{{ end }}`. A key the data lacks prints `<no value>`, as in Go, and is
//! false in a condition. Every other construct (functions, pipelines,
//! variables, constants, `range`, `define`, ...) is refused by name, and so
//! is everything Go itself refuses to parse.

use std::fmt::Write as _;

/// The largest rendered file CABPK writes (its `maxRenderedTemplateBytes`).
pub const MAX_RENDERED_BYTES: usize = 1 << 20;

/// What the manifests say about the template data's `.controlPlane`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlPlane {
    /// The control plane's `spec.version`, normalised (`v1.35.0`).
    Version(String),
    /// The Cluster has no control plane reference with a `spec.version`:
    /// CABPK's template data is an empty map.
    Absent,
    /// The manifests do not tell; the reason, as a sentence part
    /// ("the manifests hold no Cluster ...").
    Unknown(String),
}

/// A rendered template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// The operands (as written, e.g. `.controlPlane.version`) that printed
    /// `<no value>` because the data lacks them.
    pub no_value: Vec<String>,
}

/// Renders `text` as CABPK does. The error says what is wrong and where
/// (`line N: ...`).
pub fn render(text: &str, control_plane: &ControlPlane) -> Result<Rendered, String> {
    let items = lex(text)?;
    let mut pos = 0;
    let (nodes, end) = parse_list(&items, &mut pos, 0)?;
    match end {
        Stop::Eof => {}
        Stop::End(line) => return Err(format!("line {line}: {{{{ end }}}} closes nothing")),
        Stop::Else(line, _) => {
            return Err(format!("line {line}: {{{{ else }}}} outside {{{{ if }}}} or {{{{ with }}}}"))
        }
    }
    let data;
    let root = match control_plane {
        ControlPlane::Version(v) => {
            data = Data::Map(vec![("controlPlane".into(), Data::Map(vec![("version".into(), Data::Str(v.clone()))]))]);
            Val::Data(&data)
        }
        ControlPlane::Absent => {
            data = Data::Map(Vec::new());
            Val::Data(&data)
        }
        ControlPlane::Unknown(_) => Val::Unknown,
    };
    let why_unknown = match control_plane {
        ControlPlane::Unknown(why) => why.as_str(),
        _ => "",
    };
    let mut exec = Exec { root, why_unknown, out: String::new(), no_value: Vec::new() };
    exec.walk(&nodes, root)?;
    Ok(Rendered { text: exec.out, no_value: exec.no_value })
}

/// A version as CABPK normalises the control plane's for the template data
/// (blang/semver's `ParseTolerant`, printed with a leading `v`): white
/// space and a leading `v` dropped, leading zeros removed, a missing minor
/// or patch number filled in with 0 (`1.35` is `v1.35.0`).
pub fn normalize_version(s: &str) -> Result<String, String> {
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts: Vec<String> = s.splitn(3, '.').map(str::to_string).collect();
    for p in &mut parts {
        if p.len() > 1 {
            let t = p.trim_start_matches('0');
            *p = if t.as_bytes().first().is_some_and(u8::is_ascii_digit) { t.to_string() } else { format!("0{t}") };
        }
    }
    if parts.len() < 3 {
        if parts.last().is_some_and(|p| p.contains(['+', '-'])) {
            return Err("a short version cannot carry a pre-release or build part".into());
        }
        parts.resize(3, "0".to_string());
    }
    semver(&parts.join(".")).map(|v| format!("v{v}"))
}

/// A strict semantic version (blang/semver's `Parse`), printed back.
fn semver(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the version is empty".into());
    }
    let parts: Vec<&str> = s.splitn(3, '.').collect();
    let [major, minor, rest] = parts[..] else {
        return Err("no major.minor.patch numbers".into());
    };
    let number = |what: &str, n: &str| -> Result<u64, String> {
        if !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("invalid characters in the {what} number {n:?}"));
        }
        if n.len() > 1 && n.starts_with('0') {
            return Err(format!("the {what} number {n:?} has leading zeros"));
        }
        n.parse::<u64>().map_err(|_| format!("the {what} number {n:?} is not a number"))
    };
    let alnum = |x: &str| x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let (major, minor) = (number("major", major)?, number("minor", minor)?);
    let (rest, build) = match rest.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (rest, None),
    };
    let (patch, pre) = match rest.split_once('-') {
        Some((p, pre)) => (p, Some(pre)),
        None => (rest, None),
    };
    let mut out = format!("{major}.{minor}.{}", number("patch", patch)?);
    if let Some(pre) = pre {
        for id in pre.split('.') {
            if id.is_empty() {
                return Err("an empty pre-release part".into());
            }
            if id.bytes().all(|b| b.is_ascii_digit()) {
                number("pre-release", id)?;
            } else if !alnum(id) {
                return Err(format!("invalid characters in the pre-release part {id:?}"));
            }
        }
        out.push('-');
        out.push_str(pre);
    }
    if let Some(build) = build {
        for id in build.split('.') {
            if id.is_empty() || !alnum(id) {
                return Err(format!("the build part {id:?} is empty or holds invalid characters"));
            }
        }
        out.push('+');
        out.push_str(build);
    }
    Ok(out)
}

// ---------------------------------------------------------------- lexing

/// Go's template white space.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

const SPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// `{{- ` (the marker needs white space after it).
fn left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

/// At a right delimiter: `}}`, or ` -}}` (trim).
fn at_right_delim(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    if b.len() >= 4 && is_space(b[0] as char) && b[1] == b'-' && &b[2..4] == b"}}" {
        Some(true)
    } else if s.starts_with("}}") {
        Some(false)
    } else {
        None
    }
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Space,
    /// `.` alone.
    Dot,
    /// `.name`.
    Field(String),
    /// `$` alone.
    Root,
    Ident(String),
    /// A construct of the language this module does not render.
    Unsupported(&'static str),
}

#[derive(Debug)]
enum Item {
    Text(String),
    Action { tokens: Vec<Tok>, line: usize, src: String },
}

/// The action at `start` as written, shortened, for messages.
fn snippet(input: &str, start: usize) -> String {
    let rest = &input[start..];
    let end = rest.find("}}").map(|e| e + 2).unwrap_or(rest.len());
    let s = &rest[..end];
    match s.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

/// The Go builtins: known functions, none supported here.
const BUILTINS: [&str; 19] = [
    "and", "or", "not", "len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge", "print", "printf", "println",
    "html", "js", "urlquery", "call",
];

const SUPPORTED: &str = "compat mode renders text, comments, trim markers, {{ .controlPlane.version }} and other field chains, {{ if }}, {{ with }}, {{ else }} and {{ end }}";

fn unsupported(line: usize, src: &str, what: &str) -> String {
    format!("line {line}: {what} ({src}) is not supported: {SUPPORTED}; render such content in Terraform (templatefile) and pass it without contentFormat")
}

fn lex(input: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut pos = 0;
    let (mut line, mut counted) = (1, 0);
    loop {
        let Some(found) = input[pos..].find("{{") else {
            if pos < input.len() {
                items.push(Item::Text(input[pos..].to_string()));
            }
            return Ok(items);
        };
        let open = pos + found;
        let after_delim = open + 2;
        let trim_left = left_trim_marker(&input[after_delim..]);
        let mut text = &input[pos..open];
        if trim_left {
            text = text.trim_end_matches(SPACE);
        }
        if !text.is_empty() {
            items.push(Item::Text(text.to_string()));
        }
        // Lines counted so far, up to `counted`.
        line += input[counted..open].matches('\n').count();
        counted = open;
        let src = snippet(input, open);
        let mut p = after_delim + if trim_left { 2 } else { 0 };
        // A comment: {{/* ... */}}, nothing else in the action.
        if input[p..].starts_with("/*") {
            let Some(close) = input[p + 2..].find("*/") else {
                return Err(format!("line {line}: the comment {src} is never closed (*/ missing)"));
            };
            p += 2 + close + 2;
            let Some(trim) = at_right_delim(&input[p..]) else {
                return Err(format!("line {line}: the comment {src} must end with */}}}}"));
            };
            pos = finish_action(input, p, trim);
            continue;
        }
        let mut tokens = Vec::new();
        loop {
            if let Some(trim) = at_right_delim(&input[p..]) {
                pos = finish_action(input, p, trim);
                break;
            }
            let mut chars = input[p..].chars();
            let Some(c) = chars.next() else {
                return Err(format!("line {line}: the action {src} is never closed (}}}} missing)"));
            };
            let next = chars.next();
            // What the language has and this module does not: lexed (so that
            // a "}}" inside a string does not end the action) and refused
            // when the action is parsed.
            let mut refuse = |what: &'static str, len: usize| {
                tokens.push(Tok::Unsupported(what));
                len
            };
            p += match c {
                c if is_space(c) => {
                    if tokens.last() != Some(&Tok::Space) {
                        tokens.push(Tok::Space);
                    }
                    c.len_utf8()
                }
                '.' if next.is_some_and(|n| n.is_ascii_digit()) => refuse("a number constant", number_len(&input[p..])),
                '.' | '$' => {
                    let name_len: usize = input[p + 1..].chars().take_while(|c| is_alnum(*c)).map(char::len_utf8).sum();
                    let name = &input[p + 1..p + 1 + name_len];
                    tokens.push(match (c, name.is_empty()) {
                        ('.', true) => Tok::Dot,
                        ('.', false) => Tok::Field(name.to_string()),
                        (_, true) => Tok::Root,
                        (_, false) => Tok::Unsupported("a variable"),
                    });
                    1 + name_len
                }
                c if c == '_' || c.is_alphabetic() => {
                    let len: usize = input[p..].chars().take_while(|c| is_alnum(*c)).map(char::len_utf8).sum();
                    tokens.push(Tok::Ident(input[p..p + len].to_string()));
                    len
                }
                '|' => refuse("a pipeline (|)", 1),
                '(' | ')' => refuse("a parenthesised pipeline", 1),
                '"' | '`' | '\'' => match quoted_len(&input[p..]) {
                    Some(len) => refuse("a string or character constant", len),
                    None => return Err(format!("line {line}: {src} holds an unterminated quoted string")),
                },
                c if c.is_ascii_digit()
                    || (c == '+' || c == '-') && next.is_some_and(|n| n.is_ascii_digit() || n == '.') =>
                {
                    refuse("a number constant", number_len(&input[p..]))
                }
                ':' if next == Some('=') => refuse("a variable declaration (:=)", 2),
                '=' => refuse("an assignment (=)", 1),
                ',' => refuse("a range with two variables (,)", 1),
                other => {
                    return Err(format!(
                        "line {line}: {src} is not a valid Go template action (it holds the character {other:?})"
                    ));
                }
            };
        }
        items.push(Item::Action { tokens, line, src });
    }
}

/// The length of the quoted string, raw string or character constant that
/// `s` starts with, if it ends (a quoted one on its line).
fn quoted_len(s: &str) -> Option<usize> {
    let quote = s.chars().next()?;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote != '`' => escaped = true,
            '\n' if quote != '`' => return None,
            c if c == quote => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The length of the number constant `s` starts with.
fn number_len(s: &str) -> usize {
    let mut prev = ' ';
    s.char_indices()
        .find(|&(i, c)| {
            let part = c.is_ascii_alphanumeric()
                || c == '.'
                || c == '_'
                || (c == '+' || c == '-') && (i == 0 || matches!(prev, 'e' | 'E' | 'p' | 'P'));
            prev = c;
            !part
        })
        .map_or(s.len(), |(i, _)| i)
}

/// The position after the right delimiter at `p`, past the white space a
/// trim marker removes.
fn finish_action(input: &str, p: usize, trim: bool) -> usize {
    let mut end = p + if trim { 4 } else { 2 };
    if trim {
        end = input.len() - input[end..].trim_start_matches(SPACE).len();
    }
    end
}

// ---------------------------------------------------------------- parsing

/// An operand: `.` or `$` followed by field names.
#[derive(Debug, Clone)]
struct Expr {
    from_root: bool,
    fields: Vec<String>,
    line: usize,
    /// As written (`.controlPlane.version`).
    text: String,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Print(Expr),
    /// `if` (false) or `with` (true), the operand, the body, the else branch.
    Branch {
        with: bool,
        cond: Expr,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// What ended a list of nodes.
enum Stop {
    Eof,
    End(usize),
    /// `else`, with the `if`/`with` that follows it in the same action.
    Else(usize, Option<(bool, Expr)>),
}

/// The words of an action: runs of tokens between spaces.
fn words(tokens: &[Tok]) -> Vec<&[Tok]> {
    tokens.split(|t| *t == Tok::Space).filter(|w| !w.is_empty()).collect()
}

fn operand(word: &[Tok], line: usize, src: &str) -> Result<Expr, String> {
    let (from_root, rest) = match word.first() {
        Some(Tok::Root) => (true, &word[1..]),
        Some(Tok::Dot) if word.len() == 1 => (false, &word[1..]),
        _ => (false, word),
    };
    let mut fields = Vec::new();
    for t in rest {
        match t {
            Tok::Field(name) => fields.push(name.clone()),
            Tok::Ident(name) => return Err(ident_error(name, line, src)),
            Tok::Unsupported(what) => return Err(unsupported(line, src, what)),
            _ => return Err(format!("line {line}: {src} is not a valid Go template action")),
        }
    }
    let mut text = if from_root { "$".to_string() } else { String::new() };
    for f in &fields {
        text.push('.');
        text.push_str(f);
    }
    if text.is_empty() {
        text.push('.');
    }
    Ok(Expr { from_root, fields, line, text })
}

fn ident_error(name: &str, line: usize, src: &str) -> String {
    match name {
        "range" | "template" | "define" | "block" | "break" | "continue" => {
            unsupported(line, src, &format!("{{{{ {name} }}}}"))
        }
        "true" | "false" | "nil" => unsupported(line, src, &format!("the constant {name}")),
        f if BUILTINS.contains(&f) => unsupported(line, src, &format!("the function {f}")),
        other => format!(
            "line {line}: {src} calls {other:?}, which is no function of Go templates (Cluster API fails to parse the file)"
        ),
    }
}

/// Why words after an action's operand are refused: the first construct
/// they hold that is not supported, or the extra operand.
fn extra_words(extra: &[&[Tok]], line: usize, src: &str) -> String {
    let tokens = || extra.iter().flat_map(|w| w.iter());
    if let Some(what) = tokens().find_map(|t| match t {
        Tok::Unsupported(what) => Some(*what),
        _ => None,
    }) {
        return unsupported(line, src, what);
    }
    if let Some(name) = tokens().find_map(|t| match t {
        Tok::Ident(name) => Some(name),
        _ => None,
    }) {
        return ident_error(name, line, src);
    }
    unsupported(line, src, "an action with more than one operand")
}

/// An `if`/`with` action's one operand.
fn condition(rest: &[&[Tok]], keyword: &str, line: usize, src: &str) -> Result<Expr, String> {
    match rest {
        [] => Err(format!("line {line}: {src} needs an operand after {keyword}")),
        [one] => operand(one, line, src),
        [first, more @ ..] => {
            operand(first, line, src)?;
            Err(extra_words(more, line, src))
        }
    }
}

/// How deep `if` and `with` (an `else if` chain counting each link) may
/// nest: far more than a file needs, and little stack.
const MAX_DEPTH: usize = 100;

/// Parses nodes up to an `end`, an `else` or the end of the text.
fn parse_list(items: &[Item], pos: &mut usize, depth: usize) -> Result<(Vec<Node>, Stop), String> {
    let mut nodes = Vec::new();
    while let Some(item) = items.get(*pos) {
        *pos += 1;
        let (tokens, line, src) = match item {
            Item::Text(t) => {
                nodes.push(Node::Text(t.clone()));
                continue;
            }
            Item::Action { tokens, line, src } => (tokens, *line, src.as_str()),
        };
        let ws = words(tokens);
        let Some(first) = ws.first() else {
            return Err(format!("line {line}: the action {src} is empty"));
        };
        let rest = &ws[1..];
        let keyword = match first {
            [Tok::Ident(k)] => Some(k.as_str()),
            _ => None,
        };
        match keyword {
            Some(k @ ("if" | "with")) => {
                let cond = condition(rest, k, line, src)?;
                if depth >= MAX_DEPTH {
                    return Err(unsupported(
                        line,
                        src,
                        &format!("nesting {{{{ if }}}} and {{{{ with }}}} deeper than {MAX_DEPTH} levels"),
                    ));
                }
                nodes.push(branch(items, pos, k == "with", cond, line, depth + 1)?);
            }
            Some("else") => {
                let chained = match rest {
                    [] => None,
                    [[Tok::Ident(k)], more @ ..] if k == "if" || k == "with" => {
                        Some((k == "with", condition(more, k, line, src)?))
                    }
                    _ => return Err(format!("line {line}: {src}: else takes nothing but if or with after it")),
                };
                return Ok((nodes, Stop::Else(line, chained)));
            }
            Some("end") => {
                if !rest.is_empty() {
                    return Err(format!("line {line}: {src}: end takes nothing after it"));
                }
                return Ok((nodes, Stop::End(line)));
            }
            Some(k) => return Err(ident_error(k, line, src)),
            None => {
                let e = operand(first, line, src)?;
                if !rest.is_empty() {
                    return Err(extra_words(rest, line, src));
                }
                nodes.push(Node::Print(e));
            }
        }
    }
    Ok((nodes, Stop::Eof))
}

/// The rest of an `if` or `with` whose action was just read.
fn branch(items: &[Item], pos: &mut usize, with: bool, cond: Expr, line: usize, depth: usize) -> Result<Node, String> {
    let keyword = if with { "with" } else { "if" };
    let (then, end) = parse_list(items, pos, depth)?;
    let otherwise = match end {
        Stop::End(_) => Vec::new(),
        Stop::Eof => return Err(format!("line {line}: {{{{ {keyword} }}}} has no {{{{ end }}}}")),
        Stop::Else(_, Some((chained_with, cond2))) => {
            if chained_with != with {
                let other = if chained_with { "with" } else { "if" };
                return Err(unsupported(
                    cond2.line,
                    &format!("else {other} {}", cond2.text),
                    &format!("{{{{ else {other} }}}} inside {{{{ {keyword} }}}}"),
                ));
            }
            // `{{ else if b }}` is `{{ else }}{{ if b }}`, sharing the `{{ end }}`.
            let l = cond2.line;
            if depth >= MAX_DEPTH {
                return Err(unsupported(
                    l,
                    "else",
                    &format!("nesting {{{{ if }}}} and {{{{ with }}}} deeper than {MAX_DEPTH} levels"),
                ));
            }
            vec![branch(items, pos, chained_with, cond2, l, depth + 1)?]
        }
        Stop::Else(else_line, None) => {
            let (otherwise, end) = parse_list(items, pos, depth)?;
            match end {
                Stop::End(_) => otherwise,
                Stop::Eof => return Err(format!("line {line}: {{{{ {keyword} }}}} has no {{{{ end }}}}")),
                Stop::Else(l, _) => {
                    return Err(format!(
                    "line {l}: a second {{{{ else }}}} (after the one on line {else_line}) where {{{{ end }}}} belongs"
                ))
                }
            }
        }
    };
    Ok(Node::Branch { with, cond, then, otherwise })
}

// ---------------------------------------------------------------- execution

/// The template data: maps with string keys and strings.
#[derive(Debug)]
enum Data {
    Map(Vec<(String, Data)>),
    Str(String),
}

#[derive(Debug, Clone, Copy)]
enum Val<'d> {
    /// A key the data lacks (Go's invalid value).
    Missing,
    /// The data itself, when the manifests do not tell it.
    Unknown,
    Data(&'d Data),
}

/// Go's `%v` of the data.
fn format_data(d: &Data, out: &mut String) {
    match d {
        Data::Str(s) => out.push_str(s),
        Data::Map(entries) => {
            let mut sorted: Vec<&(String, Data)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push_str("map[");
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{k}:");
                format_data(v, out);
            }
            out.push(']');
        }
    }
}

struct Exec<'d, 'w> {
    root: Val<'d>,
    why_unknown: &'w str,
    out: String,
    no_value: Vec<String>,
}

impl<'d> Exec<'d, '_> {
    fn needs_data(&self, e: &Expr) -> String {
        format!("line {}: {{{{ {} }}}} needs the control plane's version, and {}", e.line, e.text, self.why_unknown)
    }

    fn eval(&self, e: &Expr, dot: Val<'d>) -> Result<Val<'d>, String> {
        let mut cur = if e.from_root { self.root } else { dot };
        // The operand up to the field being read, for messages.
        let mut walked = if e.from_root { "$".to_string() } else { String::new() };
        for name in &e.fields {
            cur = match cur {
                Val::Missing => Val::Missing,
                Val::Unknown if name == "controlPlane" => return Err(self.needs_data(e)),
                Val::Unknown => Val::Missing,
                Val::Data(Data::Map(entries)) => {
                    entries.iter().find(|(k, _)| k == name).map_or(Val::Missing, |(_, v)| Val::Data(v))
                }
                Val::Data(Data::Str(_)) => {
                    let before = if walked.is_empty() { "." } else { walked.as_str() };
                    return Err(format!(
                        "line {}: {{{{ {} }}}}: {before} is a string, which has no field {name} (Cluster API fails to render the file)",
                        e.line, e.text
                    ));
                }
            };
            walked.push('.');
            walked.push_str(name);
        }
        Ok(cur)
    }

    fn write(&mut self, s: &str) -> Result<(), String> {
        if self.out.len() + s.len() > MAX_RENDERED_BYTES {
            return Err(format!(
                "the rendered content exceeds Cluster API's limit of {MAX_RENDERED_BYTES} bytes (1 MiB) per file"
            ));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn truth(&self, v: Val<'d>, e: &Expr) -> Result<bool, String> {
        Ok(match v {
            Val::Missing => false,
            Val::Unknown => return Err(self.needs_data(e)),
            Val::Data(Data::Str(s)) => !s.is_empty(),
            Val::Data(Data::Map(m)) => !m.is_empty(),
        })
    }

    fn walk(&mut self, nodes: &[Node], dot: Val<'d>) -> Result<(), String> {
        for n in nodes {
            match n {
                Node::Text(t) => self.write(t)?,
                Node::Print(e) => match self.eval(e, dot)? {
                    Val::Missing => {
                        if !self.no_value.contains(&e.text) {
                            self.no_value.push(e.text.clone());
                        }
                        self.write("<no value>")?;
                    }
                    Val::Unknown => return Err(self.needs_data(e)),
                    Val::Data(d) => {
                        let mut s = String::new();
                        format_data(d, &mut s);
                        self.write(&s)?;
                    }
                },
                Node::Branch { with, cond, then, otherwise } => {
                    let v = self.eval(cond, dot)?;
                    if self.truth(v, cond)? {
                        self.walk(then, if *with { v } else { dot })?;
                    } else {
                        self.walk(otherwise, dot)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
