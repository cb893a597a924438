//! Merging user-supplied Ignition configs (`additional_ignition`) onto the
//! rendered one, the way Ignition merges a child config from
//! `ignition.config.merge` into its parent (coreos/ignition
//! `config/merge/merge.go`, `docs/operator-notes.md` "Config Merging"):
//!
//! - objects merge field by field; a value the child sets replaces the
//!   parent's, a value it leaves out (or sets to `null`) keeps the parent's;
//! - lists of objects are keyed (files, directories and links by `path`,
//!   units and drop-ins and users and groups by `name`, disks and filesystems
//!   by `device`, and so on): an entry whose key the parent already has is
//!   merged into the parent's entry in place, other entries are appended;
//! - files, directories and links share one key space, as do
//!   `kernelArguments.shouldExist` and `shouldNotExist`: a child entry in one
//!   of them removes the parent's entry with the same key from the others;
//! - lists of plain strings (SSH keys, supplementary groups, ...) are keyed
//!   by the string, so they end up as the union;
//! - a few lists are appended without any keying: `files[].append`, and the
//!   `options` / `mountOptions` argument lists of RAID, filesystems and LUKS;
//! - an HTTP header the child names without a value removes the parent's.
//!
//! Configs are checked against a table of the 3.x schema before merging:
//! JSON types, unknown fields, fields newer than the config's declared
//! version, duplicate keys and relative paths are reported with a JSON path,
//! never with the offending value (it may be a secret).
//!
//! Plain domain code: no tonic, prost, msgpack, `crate::tfplugin` or
//! `crate::provider`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::IgnitionError;

/// How one JSON value is shaped and merged.
pub(crate) enum Shape {
    Str,
    Int,
    Bool,
    Obj(&'static [Field]),
    List { item: &'static Shape, merge: ListMerge },
}

/// How a list merges.
pub(crate) enum ListMerge {
    /// Parent entries, then child entries, no deduplication.
    Append,
    /// Entries are deduplicated by key. Lists of the same object that name
    /// the same `group` share one key space.
    Keyed {
        key: Key,
        group: Option<&'static str>,
        /// A child entry without this field deletes the parent's entry
        /// (HTTP headers without a value).
        delete_without: Option<&'static str>,
    },
}

/// What identifies a list entry.
pub(crate) enum Key {
    /// The entry itself (a string).
    Itself,
    /// One field of the entry.
    Field(&'static str),
    /// Partitions: `number` when non-zero, else `label`.
    Partition,
}

/// One field of an object.
pub(crate) struct Field {
    name: &'static str,
    shape: &'static Shape,
    /// The first 3.x minor version that has the field.
    since: u8,
}

const fn f(name: &'static str, shape: &'static Shape) -> Field {
    Field { name, shape, since: 0 }
}

const fn since(minor: u8, name: &'static str, shape: &'static Shape) -> Field {
    Field { name, shape, since: minor }
}

static STR: Shape = Shape::Str;
static INT: Shape = Shape::Int;
static BOOL: Shape = Shape::Bool;

const fn keyed(item: &'static Shape, key: Key) -> Shape {
    Shape::List { item, merge: ListMerge::Keyed { key, group: None, delete_without: None } }
}

static STR_SET: Shape = keyed(&STR, Key::Itself);
static STR_APPEND: Shape = Shape::List { item: &STR, merge: ListMerge::Append };

static HEADER: Shape = Shape::Obj(&[f("name", &STR), f("value", &STR)]);
static HEADERS: Shape = Shape::List {
    item: &HEADER,
    merge: ListMerge::Keyed { key: Key::Field("name"), group: None, delete_without: Some("value") },
};
static VERIFICATION: Shape = Shape::Obj(&[f("hash", &STR)]);
static RESOURCE: Shape = Shape::Obj(&[
    f("source", &STR),
    f("compression", &STR),
    since(1, "httpHeaders", &HEADERS),
    f("verification", &VERIFICATION),
]);
static RESOURCES_BY_SOURCE: Shape = keyed(&RESOURCE, Key::Field("source"));
static RESOURCES_APPENDED: Shape = Shape::List { item: &RESOURCE, merge: ListMerge::Append };

static IGNITION_CONFIG: Shape = Shape::Obj(&[f("merge", &RESOURCES_BY_SOURCE), f("replace", &RESOURCE)]);
static TIMEOUTS: Shape = Shape::Obj(&[f("httpResponseHeaders", &INT), f("httpTotal", &INT)]);
static TLS: Shape = Shape::Obj(&[f("certificateAuthorities", &RESOURCES_BY_SOURCE)]);
static SECURITY: Shape = Shape::Obj(&[f("tls", &TLS)]);
static PROXY: Shape = Shape::Obj(&[f("httpProxy", &STR), f("httpsProxy", &STR), f("noProxy", &STR_SET)]);
static IGNITION: Shape = Shape::Obj(&[
    f("version", &STR),
    f("config", &IGNITION_CONFIG),
    f("timeouts", &TIMEOUTS),
    f("security", &SECURITY),
    since(1, "proxy", &PROXY),
]);

static PARTITION: Shape = Shape::Obj(&[
    f("label", &STR),
    f("number", &INT),
    f("sizeMiB", &INT),
    f("startMiB", &INT),
    f("typeGuid", &STR),
    f("guid", &STR),
    f("wipePartitionEntry", &BOOL),
    f("shouldExist", &BOOL),
    since(2, "resize", &BOOL),
]);
static PARTITIONS: Shape = keyed(&PARTITION, Key::Partition);
static DISK: Shape = Shape::Obj(&[f("device", &STR), f("wipeTable", &BOOL), f("partitions", &PARTITIONS)]);
static RAID: Shape = Shape::Obj(&[
    f("name", &STR),
    f("level", &STR),
    f("devices", &STR_SET),
    f("spares", &INT),
    f("options", &STR_APPEND),
]);
static FILESYSTEM: Shape = Shape::Obj(&[
    f("device", &STR),
    f("format", &STR),
    f("path", &STR),
    f("wipeFilesystem", &BOOL),
    f("label", &STR),
    f("uuid", &STR),
    f("options", &STR_APPEND),
    since(1, "mountOptions", &STR_APPEND),
]);
static OWNER: Shape = Shape::Obj(&[f("id", &INT), f("name", &STR)]);
static FILE: Shape = Shape::Obj(&[
    f("path", &STR),
    f("overwrite", &BOOL),
    f("contents", &RESOURCE),
    f("append", &RESOURCES_APPENDED),
    f("mode", &INT),
    f("user", &OWNER),
    f("group", &OWNER),
]);
static DIRECTORY: Shape =
    Shape::Obj(&[f("path", &STR), f("overwrite", &BOOL), f("mode", &INT), f("user", &OWNER), f("group", &OWNER)]);
static LINK: Shape = Shape::Obj(&[
    f("path", &STR),
    f("overwrite", &BOOL),
    f("user", &OWNER),
    f("group", &OWNER),
    f("target", &STR),
    f("hard", &BOOL),
]);
const NODE_GROUP: &str = "filesystem entry";
const fn node_list(item: &'static Shape) -> Shape {
    Shape::List {
        item,
        merge: ListMerge::Keyed { key: Key::Field("path"), group: Some(NODE_GROUP), delete_without: None },
    }
}
static FILES: Shape = node_list(&FILE);
static DIRECTORIES: Shape = node_list(&DIRECTORY);
static LINKS: Shape = node_list(&LINK);
static TANG: Shape = Shape::Obj(&[f("url", &STR), f("thumbprint", &STR), since(4, "advertisement", &STR)]);
static CLEVIS_CUSTOM: Shape = Shape::Obj(&[f("pin", &STR), f("config", &STR), f("needsNetwork", &BOOL)]);
static CLEVIS: Shape =
    Shape::Obj(&[f("tang", &TANGS), f("tpm2", &BOOL), f("threshold", &INT), f("custom", &CLEVIS_CUSTOM)]);
static TANGS: Shape = keyed(&TANG, Key::Field("url"));
static LUKS: Shape = Shape::Obj(&[
    f("name", &STR),
    f("device", &STR),
    f("keyFile", &RESOURCE),
    f("label", &STR),
    f("uuid", &STR),
    f("options", &STR_APPEND),
    f("wipeVolume", &BOOL),
    f("clevis", &CLEVIS),
    since(4, "discard", &BOOL),
    since(4, "openOptions", &STR_SET),
]);
static STORAGE: Shape = Shape::Obj(&[
    f("disks", &DISKS),
    f("raid", &RAIDS),
    f("filesystems", &FILESYSTEMS),
    f("files", &FILES),
    f("directories", &DIRECTORIES),
    f("links", &LINKS),
    since(2, "luks", &LUKSES),
]);
static DISKS: Shape = keyed(&DISK, Key::Field("device"));
static RAIDS: Shape = keyed(&RAID, Key::Field("name"));
static FILESYSTEMS: Shape = keyed(&FILESYSTEM, Key::Field("device"));
static LUKSES: Shape = keyed(&LUKS, Key::Field("name"));

static DROPIN: Shape = Shape::Obj(&[f("name", &STR), f("contents", &STR)]);
static DROPINS: Shape = keyed(&DROPIN, Key::Field("name"));
static UNIT: Shape =
    Shape::Obj(&[f("name", &STR), f("enabled", &BOOL), f("mask", &BOOL), f("contents", &STR), f("dropins", &DROPINS)]);
static UNITS: Shape = keyed(&UNIT, Key::Field("name"));
static SYSTEMD: Shape = Shape::Obj(&[f("units", &UNITS)]);

static USER: Shape = Shape::Obj(&[
    f("name", &STR),
    f("passwordHash", &STR),
    f("sshAuthorizedKeys", &STR_SET),
    f("uid", &INT),
    f("gecos", &STR),
    f("homeDir", &STR),
    f("noCreateHome", &BOOL),
    f("primaryGroup", &STR),
    f("groups", &STR_SET),
    f("noUserGroup", &BOOL),
    f("noLogInit", &BOOL),
    f("shell", &STR),
    since(2, "shouldExist", &BOOL),
    f("system", &BOOL),
]);
static GROUP: Shape = Shape::Obj(&[
    f("name", &STR),
    f("gid", &INT),
    f("passwordHash", &STR),
    since(2, "shouldExist", &BOOL),
    f("system", &BOOL),
]);
static USERS: Shape = keyed(&USER, Key::Field("name"));
static GROUPS: Shape = keyed(&GROUP, Key::Field("name"));
static PASSWD: Shape = Shape::Obj(&[f("users", &USERS), f("groups", &GROUPS)]);

const KARG_GROUP: &str = "kernel argument";
static KARGS_LIST: Shape = Shape::List {
    item: &STR,
    merge: ListMerge::Keyed { key: Key::Itself, group: Some(KARG_GROUP), delete_without: None },
};
static KERNEL_ARGUMENTS: Shape = Shape::Obj(&[f("shouldExist", &KARGS_LIST), f("shouldNotExist", &KARGS_LIST)]);

/// The whole config, spec 3.0.0 to 3.4.0.
pub(crate) static CONFIG: Shape = Shape::Obj(&[
    f("ignition", &IGNITION),
    f("storage", &STORAGE),
    f("systemd", &SYSTEMD),
    f("passwd", &PASSWD),
    since(3, "kernelArguments", &KERNEL_ARGUMENTS),
]);

/// Lists whose entries are checked for an absolute `path`.
const NODE_LISTS: [&str; 3] = ["files", "directories", "links"];

/// The key of one list entry, or `None` for an entry that has none.
fn key_of(item: &Value, key: &Key) -> Option<String> {
    match key {
        Key::Itself => item.as_str().map(str::to_owned),
        Key::Field(name) => match item.get(*name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        Key::Partition => {
            let number = item.get("number").and_then(Value::as_i64).unwrap_or(0);
            if number != 0 {
                Some(format!("number:{number}"))
            } else {
                item.get("label").and_then(Value::as_str).map(|l| format!("label:{l}"))
            }
        }
    }
}

fn field<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.name == name)
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

fn join(path: &str, name: &str) -> String {
    format!("{path}.{name}")
}

/// Checks one user-supplied config against the schema. `minor` is the 3.x
/// minor version the config declares; `index` names it in errors.
pub(crate) fn check(value: &Value, minor: u8, index: usize) -> Result<(), IgnitionError> {
    check_value(value, &CONFIG, "$", minor, index)?;
    let err = |path: String, problem: &str| IgnitionError::AdditionalField { index, path, problem: problem.to_owned() };
    if let Some(replace) = value.pointer("/ignition/config/replace").and_then(Value::as_object) {
        if replace.values().any(|v| !v.is_null()) {
            return Err(err(
                "$.ignition.config.replace".into(),
                "cannot be merged: a replacement config would discard the rendered node config at boot",
            ));
        }
    }
    if let Some(storage) = value.get("storage") {
        for list in NODE_LISTS {
            for (i, entry) in storage.get(list).and_then(Value::as_array).into_iter().flatten().enumerate() {
                let path = entry.get("path").and_then(Value::as_str).unwrap_or("");
                if !path.starts_with('/') {
                    return Err(err(format!("$.storage.{list}[{i}].path"), "must be an absolute path"));
                }
            }
        }
    }
    Ok(())
}

fn check_value(value: &Value, shape: &Shape, path: &str, minor: u8, index: usize) -> Result<(), IgnitionError> {
    let err = |path: &str, problem: String| IgnitionError::AdditionalField { index, path: path.to_owned(), problem };
    if value.is_null() {
        return Ok(());
    }
    match shape {
        Shape::Str if value.is_string() => Ok(()),
        Shape::Str => Err(err(path, "must be a string".into())),
        Shape::Int if value.is_i64() => Ok(()),
        Shape::Int => Err(err(path, "must be an integer".into())),
        Shape::Bool if value.is_boolean() => Ok(()),
        Shape::Bool => Err(err(path, "must be true or false".into())),
        Shape::Obj(fields) => {
            let Some(map) = value.as_object() else {
                return Err(err(path, "must be an object".into()));
            };
            for (name, v) in map {
                let here = join(path, name);
                let Some(fd) = field(fields, name) else {
                    return Err(err(&here, "is not a field of the Ignition 3.x config".into()));
                };
                if fd.since > minor && !v.is_null() {
                    return Err(err(
                        &here,
                        format!("needs spec 3.{}.0 or newer, but the config declares 3.{minor}.0", fd.since),
                    ));
                }
                check_value(v, fd.shape, &here, minor, index)?;
            }
            // Lists that share a key space must not repeat a key between them.
            let mut groups: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
            for fd in fields.iter() {
                let Shape::List { merge: ListMerge::Keyed { key, group, .. }, .. } = fd.shape else { continue };
                let Some(items) = present(map.get(fd.name)).and_then(Value::as_array) else { continue };
                let mut own = BTreeMap::new();
                for (i, item) in items.iter().enumerate() {
                    let here = format!("{}[{i}]", join(path, fd.name));
                    let Some(k) = key_of(item, key) else {
                        return Err(err(&here, format!("has no {}", describe_key(key))));
                    };
                    if let Some(first) = own.insert(k.clone(), here.clone()) {
                        return Err(err(&here, format!("repeats the {} of {first}", describe_key(key))));
                    }
                    if let Some(g) = group {
                        if let Some(first) = groups.entry(g).or_default().insert(k, here.clone()) {
                            return Err(err(&here, format!("uses the same {g} key as {first}")));
                        }
                    }
                }
            }
            Ok(())
        }
        Shape::List { item, .. } => {
            let Some(items) = value.as_array() else {
                return Err(err(path, "must be a list".into()));
            };
            for (i, v) in items.iter().enumerate() {
                check_value(v, item, &format!("{path}[{i}]"), minor, index)?;
            }
            Ok(())
        }
    }
}

fn describe_key(key: &Key) -> String {
    match key {
        Key::Itself => "value".into(),
        Key::Field(name) => format!("\"{name}\""),
        Key::Partition => "\"number\" or \"label\"".into(),
    }
}

/// Merges `child` onto `parent` (both checked) and returns the result. It
/// keeps the parent's spec version: Ignition translates an older child up to
/// the parent's version before merging, and for 3.x that translation changes
/// nothing else.
pub(crate) fn merge(parent: &Value, child: &Value) -> Value {
    let mut merged = merge_value(Some(parent), Some(child), &CONFIG).unwrap_or(Value::Null);
    if let (Some(version), Some(ignition)) =
        (parent.pointer("/ignition/version"), merged.get_mut("ignition").and_then(Value::as_object_mut))
    {
        ignition.insert("version".to_owned(), version.clone());
    }
    merged
}

fn merge_value(parent: Option<&Value>, child: Option<&Value>, shape: &Shape) -> Option<Value> {
    let (parent, child) = (present(parent), present(child));
    match (shape, parent, child) {
        (_, None, None) => None,
        (Shape::Obj(fields), Some(Value::Object(p)), Some(Value::Object(c))) => {
            Some(Value::Object(merge_object(p, c, fields)))
        }
        // Lists are merged by `merge_object`, which sees sibling lists too.
        (Shape::Str | Shape::Int | Shape::Bool | Shape::Obj(_) | Shape::List { .. }, p, c) => c.or(p).cloned(),
    }
}

fn merge_object(parent: &Map<String, Value>, child: &Map<String, Value>, fields: &[Field]) -> Map<String, Value> {
    // For shared key spaces: which child list holds each key.
    let mut child_groups: BTreeMap<&str, BTreeMap<String, &str>> = BTreeMap::new();
    for fd in fields.iter() {
        if let Shape::List { merge: ListMerge::Keyed { key, group: Some(g), .. }, .. } = fd.shape {
            for item in present(child.get(fd.name)).and_then(Value::as_array).into_iter().flatten() {
                if let Some(k) = key_of(item, key) {
                    child_groups.entry(g).or_default().insert(k, fd.name);
                }
            }
        }
    }

    let names: Vec<&String> = parent.keys().chain(child.keys().filter(|k| !parent.contains_key(*k))).collect();
    let mut out = Map::new();
    for name in names {
        let (p, c) = (present(parent.get(name)), present(child.get(name)));
        let merged = match field(fields, name).map(|fd| fd.shape) {
            Some(Shape::List { item, merge }) => merge_list(p, c, item, merge, name, child_groups.get(group_of(merge))),
            Some(shape) => merge_value(p, c, shape),
            None => c.or(p).cloned(),
        };
        if let Some(v) = merged {
            out.insert(name.clone(), v);
        }
    }
    out
}

fn group_of(merge: &ListMerge) -> &'static str {
    match merge {
        ListMerge::Keyed { group: Some(g), .. } => g,
        _ => "",
    }
}

/// Merges one list. `group_keys` maps each key the child uses in lists that
/// share this list's key space to the list that holds it.
fn merge_list(
    parent: Option<&Value>,
    child: Option<&Value>,
    item: &Shape,
    merge: &ListMerge,
    name: &str,
    group_keys: Option<&BTreeMap<String, &str>>,
) -> Option<Value> {
    let empty = Vec::new();
    let p = parent.and_then(Value::as_array).unwrap_or(&empty);
    let c = child.and_then(Value::as_array).unwrap_or(&empty);
    let mut out = Vec::with_capacity(p.len() + c.len());
    match merge {
        ListMerge::Append => {
            out.extend(p.iter().cloned());
            out.extend(c.iter().cloned());
        }
        ListMerge::Keyed { key, delete_without, .. } => {
            let child_by_key: BTreeMap<String, &Value> =
                c.iter().filter_map(|v| key_of(v, key).map(|k| (k, v))).collect();
            let mut parent_keys = BTreeSet::new();
            for pv in p {
                let k = key_of(pv, key).unwrap_or_default();
                if let Some(cv) = child_by_key.get(&k) {
                    let deleted = delete_without.is_some_and(|field| present(cv.get(field)).is_none());
                    if !deleted {
                        out.extend(merge_value(Some(pv), Some(cv), item));
                    }
                } else if group_keys.and_then(|g| g.get(&k)).is_none_or(|list| *list == name) {
                    // Kept unless the child put the key in a sibling list.
                    out.push(pv.clone());
                }
                parent_keys.insert(k);
            }
            out.extend(c.iter().filter(|cv| !parent_keys.contains(&key_of(cv, key).unwrap_or_default())).cloned());
        }
    }
    (!out.is_empty()).then_some(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(parent: Value, child: Value) -> Value {
        check(&parent, 4, 0).unwrap();
        check(&child, 4, 1).unwrap();
        merge(&parent, &child)
    }

    #[test]
    fn child_fields_replace_parent_fields_of_the_same_file() {
        let parent = json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [
            {"path": "/a", "mode": 420, "contents": {"source": "data:,1"}, "user": {"name": "core"}},
            {"path": "/b", "contents": {"source": "data:,b"}}
        ]}});
        let child = json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [
            {"path": "/a", "contents": {"source": "data:,2"}},
            {"path": "/c", "mode": 384}
        ]}});
        let out = merged(parent, child);
        assert_eq!(
            out["storage"]["files"],
            json!([
                {"path": "/a", "mode": 420, "contents": {"source": "data:,2"}, "user": {"name": "core"}},
                {"path": "/b", "contents": {"source": "data:,b"}},
                {"path": "/c", "mode": 384}
            ])
        );
    }

    #[test]
    fn files_directories_and_links_share_keys() {
        let parent = json!({"ignition": {"version": "3.3.0"}, "storage": {
            "files": [{"path": "/x", "contents": {"source": "data:,1"}}, {"path": "/y"}],
            "links": [{"path": "/z", "target": "/y"}]
        }});
        let child = json!({"ignition": {"version": "3.3.0"}, "storage": {
            "links": [{"path": "/x", "target": "/y"}],
            "directories": [{"path": "/z"}]
        }});
        let out = merge(&parent, &child);
        assert_eq!(out["storage"]["files"], json!([{"path": "/y"}]));
        assert_eq!(out["storage"]["links"], json!([{"path": "/x", "target": "/y"}]));
        assert_eq!(out["storage"]["directories"], json!([{"path": "/z"}]));
    }

    #[test]
    fn units_dropins_users_and_string_lists() {
        let parent = json!({"ignition": {"version": "3.3.0"},
            "systemd": {"units": [{"name": "a.service", "enabled": true, "contents": "A",
                "dropins": [{"name": "1.conf", "contents": "one"}]}]},
            "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["k1", "k0"], "groups": ["docker"]}]}
        });
        let child = json!({"ignition": {"version": "3.0.0"},
            "systemd": {"units": [{"name": "a.service", "enabled": false,
                "dropins": [{"name": "1.conf", "contents": "uno"}, {"name": "2.conf", "contents": "two"}]}]},
            "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["k2", "k1"], "groups": ["wheel"]},
                                 {"name": "ops"}]}
        });
        let out = merged(parent, child);
        assert_eq!(
            out["systemd"]["units"],
            json!([{"name": "a.service", "enabled": false, "contents": "A",
                "dropins": [{"name": "1.conf", "contents": "uno"}, {"name": "2.conf", "contents": "two"}]}])
        );
        assert_eq!(
            out["passwd"]["users"],
            json!([{"name": "core", "sshAuthorizedKeys": ["k1", "k0", "k2"], "groups": ["docker", "wheel"]},
                   {"name": "ops"}])
        );
        // The parent's version stays.
        assert_eq!(out["ignition"]["version"], "3.3.0");
    }

    #[test]
    fn appended_lists_headers_and_kernel_arguments() {
        let parent = json!({"ignition": {"version": "3.3.0"},
            "storage": {"files": [{"path": "/f", "append": [{"source": "data:,1"}],
                "contents": {"source": "https://x/f", "httpHeaders": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}}]},
            "kernelArguments": {"shouldExist": ["a", "b"]}
        });
        let child = json!({"ignition": {"version": "3.3.0"},
            "storage": {"files": [{"path": "/f", "append": [{"source": "data:,1"}],
                "contents": {"httpHeaders": [{"name": "A"}, {"name": "C", "value": "3"}]}}]},
            "kernelArguments": {"shouldNotExist": ["a"], "shouldExist": ["c"]}
        });
        let out = merged(parent, child);
        let file = &out["storage"]["files"][0];
        assert_eq!(file["append"], json!([{"source": "data:,1"}, {"source": "data:,1"}]));
        assert_eq!(
            file["contents"],
            json!({"source": "https://x/f", "httpHeaders": [{"name": "B", "value": "2"}, {"name": "C", "value": "3"}]})
        );
        assert_eq!(out["kernelArguments"], json!({"shouldExist": ["b", "c"], "shouldNotExist": ["a"]}));
    }

    #[test]
    fn schema_errors_name_the_path() {
        let bad = |v: Value, minor: u8| check(&v, minor, 2).unwrap_err().to_string();
        let e = bad(json!({"ignition": {"version": "3.3.0"}, "storage": {"filez": []}}), 3);
        assert!(e.contains("additional_ignition[2]") && e.contains("$.storage.filez"), "{e}");
        let e =
            bad(json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/a", "mode": "0644"}]}}), 3);
        assert!(e.contains("$.storage.files[0].mode") && e.contains("integer"), "{e}");
        let e = bad(json!({"ignition": {"version": "3.2.0"}, "kernelArguments": {}}), 2);
        assert!(e.contains("needs spec 3.3.0"), "{e}");
        let e = bad(json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "a"}]}}), 3);
        assert!(e.contains("absolute"), "{e}");
        let e = bad(
            json!({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/a"}], "links": [{"path": "/a", "target": "/b"}]}}),
            3,
        );
        assert!(e.contains("$.storage.links[0]") && e.contains("$.storage.files[0]"), "{e}");
        let e = bad(
            json!({"ignition": {"version": "3.3.0"}, "systemd": {"units": [{"name": "a.service"}, {"name": "a.service"}]}}),
            3,
        );
        assert!(e.contains("$.systemd.units[1]"), "{e}");
        let e = bad(json!({"ignition": {"version": "3.3.0"}, "passwd": {"users": [{"sshAuthorizedKeys": ["k"]}]}}), 3);
        assert!(e.contains("has no \"name\""), "{e}");
        let e = bad(json!({"ignition": {"version": "3.3.0", "config": {"replace": {"source": "https://x"}}}}), 3);
        assert!(e.contains("replace"), "{e}");
        // Values never show up: they may be secrets.
        let e =
            bad(json!({"ignition": {"version": "3.3.0"}, "passwd": {"users": [{"name": "a", "uid": "s3cr3t"}]}}), 3);
        assert!(!e.contains("s3cr3t") && e.contains("$.passwd.users[0].uid"), "{e}");
    }
}
