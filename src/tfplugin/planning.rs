//! Terraform's planning rules, applied generically from a schema:
//!
//! - on create, computed attributes the configuration leaves null become
//!   unknown (or their default);
//! - on update, they keep their prior value unless the resource changes, in
//!   which case they become unknown (unless marked `keep_prior`);
//! - an unchanged resource plans exactly its prior state (so the action is NoOp);
//! - attributes marked requires-replace that change are reported.
//!
//! Also the validation walk that runs attribute validators with full paths.
//! This module knows nothing of Kubernetes.

use super::diag::{AttrPath, Diagnostics};
use super::schema::{AttrKind, Attribute, Block, Nesting};
use super::value::Value;

/// Applies defaults and unknowns to `planned` (initially Terraform's proposed
/// new state). `prior` is `None` on create.
pub fn apply_computed(block: &Block, planned: &mut Value, config: &Value, prior: Option<&Value>) {
    if planned.is_null() || planned.is_unknown() {
        return;
    }
    for a in &block.attributes {
        let cfg = config.get(&a.name);
        if let Some(slot) = planned.get_mut(&a.name) {
            apply_attr(a, slot, cfg, prior.map(|p| p.get(&a.name)));
        }
    }
    for b in &block.blocks {
        let cfg = config.get(&b.name).clone();
        let prior_b = prior.map(|p| p.get(&b.name).clone());
        let Some(slot) = planned.get_mut(&b.name) else { continue };
        match b.nesting {
            Nesting::Single | Nesting::Group => {
                apply_computed(&b.block, slot, &cfg, prior_b.as_ref().filter(|p| !p.is_null()));
            }
            Nesting::List | Nesting::Set => {
                if let Value::List(items) | Value::Set(items) = slot {
                    let cfg_items = cfg.as_elements().map(<[Value]>::to_vec).unwrap_or_default();
                    let prior_items =
                        prior_b.as_ref().and_then(|p| p.as_elements().map(<[Value]>::to_vec)).unwrap_or_default();
                    for (i, item) in items.iter_mut().enumerate() {
                        let c = cfg_items.get(i).cloned().unwrap_or_default();
                        apply_computed(&b.block, item, &c, prior_items.get(i));
                    }
                }
            }
            Nesting::Map => {
                if let Value::Map(items) = slot {
                    for (k, item) in items.iter_mut() {
                        let c = cfg.get(k).clone();
                        let p = prior_b.as_ref().map(|p| p.get(k).clone()).filter(|p| !p.is_null());
                        apply_computed(&b.block, item, &c, p.as_ref());
                    }
                }
            }
        }
    }
}

fn apply_attr(a: &Attribute, slot: &mut Value, cfg: &Value, prior: Option<&Value>) {
    if a.mode.is_computed() && cfg.is_null() {
        if let Some(d) = &a.default {
            *slot = d.clone();
            return;
        }
        if prior.is_none_or(Value::is_null) && !a.keep_prior || prior.is_none() {
            *slot = Value::unknown();
            return;
        }
    }
    // Recurse into nested attributes that are set.
    if let AttrKind::Nested { nesting, attributes } = &a.kind {
        let inner = Block::new(attributes.clone());
        match nesting {
            Nesting::Single | Nesting::Group => {
                apply_computed(&inner, slot, cfg, prior.filter(|p| !p.is_null()));
            }
            Nesting::List | Nesting::Set => {
                if let Value::List(items) | Value::Set(items) = slot {
                    for (i, item) in items.iter_mut().enumerate() {
                        let c = cfg.as_elements().and_then(|e| e.get(i)).cloned().unwrap_or_default();
                        let p = prior.and_then(|p| p.as_elements()).and_then(|e| e.get(i));
                        apply_computed(&inner, item, &c, p);
                    }
                }
            }
            Nesting::Map => {
                if let Value::Map(items) = slot {
                    for (k, item) in items.iter_mut() {
                        let p = prior.map(|p| p.get(k)).filter(|p| !p.is_null());
                        apply_computed(&inner, item, cfg.get(k), p);
                    }
                }
            }
        }
    }
}

/// Sets the write-only attributes of a state or plan to null, as Terraform
/// (1.11 and later) requires of every value a provider returns. Returns
/// whether anything was set.
pub fn clear_write_only(block: &Block, v: &mut Value) -> bool {
    let mut cleared = false;
    if v.is_null() || v.is_unknown() {
        return false;
    }
    for a in block.attributes.iter().filter(|a| a.write_only) {
        if let Some(slot) = v.get_mut(&a.name) {
            if !slot.is_null() {
                *slot = Value::Null;
                cleared = true;
            }
        }
    }
    cleared
}

/// On an update that changes something, marks computed attributes the
/// configuration leaves null (and that have no default and are not
/// `keep_prior`) unknown: the provider may recompute them.
pub fn mark_changed_computed_unknown(block: &Block, planned: &mut Value, config: &Value) {
    for a in &block.attributes {
        if a.mode.is_computed() && a.default.is_none() && !a.keep_prior && config.get(&a.name).is_null() {
            planned.set(&a.name, Value::unknown());
        }
    }
}

/// The top-level attributes and blocks marked requires-replace whose planned
/// value differs from the prior value.
pub fn replace_paths(block: &Block, planned: &Value, prior: &Value) -> Vec<AttrPath> {
    let mut out = Vec::new();
    for a in &block.attributes {
        if a.requires_replace && planned.get(&a.name) != prior.get(&a.name) {
            out.push(AttrPath::attr(&a.name));
        }
    }
    for b in &block.blocks {
        if b.requires_replace && planned.get(&b.name) != prior.get(&b.name) {
            out.push(AttrPath::attr(&b.name));
        }
    }
    out
}

/// Runs attribute validators on every known, non-null value, with full paths.
pub fn validate(block: &Block, config: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    if config.is_null() || config.is_unknown() {
        return;
    }
    for a in &block.attributes {
        let v = config.get(&a.name);
        if v.is_null() || v.is_unknown() {
            continue;
        }
        let p = path.clone().then_attr(&a.name);
        if v.is_wholly_known() {
            for f in &a.validators {
                for d in f(v) {
                    diags.push(d.under(&p));
                }
            }
        }
        if let AttrKind::Nested { nesting, attributes } = &a.kind {
            validate_nested(&Block::new(attributes.clone()), *nesting, v, &p, diags);
        }
    }
    for b in &block.blocks {
        let v = config.get(&b.name);
        validate_nested(&b.block, b.nesting, v, &path.clone().then_attr(&b.name), diags);
    }
}

fn validate_nested(block: &Block, nesting: Nesting, v: &Value, p: &AttrPath, diags: &mut Diagnostics) {
    match nesting {
        Nesting::Single | Nesting::Group => validate(block, v, p, diags),
        // Set elements cannot be addressed: report at the set itself.
        Nesting::Set => {
            for item in v.as_elements().unwrap_or_default() {
                validate(block, item, p, diags);
            }
        }
        Nesting::List => {
            for (i, item) in v.as_elements().unwrap_or_default().iter().enumerate() {
                validate(block, item, &p.clone().then_index(i), diags);
            }
        }
        Nesting::Map => {
            for (k, item) in v.as_entries().into_iter().flatten() {
                validate(block, item, &p.clone().then_key(k), diags);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::diag::Diagnostic;
    use crate::tfplugin::schema::{Attribute, BlockType};

    fn block() -> Block {
        Block::new(vec![
            Attribute::string("name").required().requires_replace(),
            Attribute::string("mode").default(Value::from("fast")),
            Attribute::string("id").computed().keep_prior(),
            Attribute::string("digest").computed(),
            Attribute::string("note").optional(),
        ])
        .with_blocks(vec![BlockType::new(
            "rule",
            Nesting::List,
            Block::new(vec![
                Attribute::string("port").required().validate(|v| {
                    if v.as_str() == Some("0") {
                        vec![Diagnostic::error("bad port", "")]
                    } else {
                        vec![]
                    }
                }),
                Attribute::string("uid").computed(),
            ]),
        )])
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::null_object(&block().ty());
        for (k, x) in pairs {
            v.set(k, x.clone());
        }
        v
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let rule = Value::Object(
            [("port".to_string(), Value::from("80")), ("uid".to_string(), Value::Null)].into_iter().collect(),
        );
        let config = obj(&[("name", "a".into()), ("rule", Value::List(vec![rule.clone()]))]);
        let mut planned = config.clone();
        apply_computed(&block(), &mut planned, &config, None);
        assert_eq!(planned.get("mode").as_str(), Some("fast"));
        assert!(planned.get("id").is_unknown());
        assert!(planned.get("digest").is_unknown());
        assert!(planned.get("note").is_null());
        assert!(planned.get("rule").as_elements().unwrap()[0].get("uid").is_unknown());
    }

    #[test]
    fn update_keeps_prior() {
        let prior = obj(&[
            ("name", "a".into()),
            ("mode", "fast".into()),
            ("id", "i-1".into()),
            ("digest", "d".into()),
            ("rule", Value::List(vec![])),
        ]);
        let config = obj(&[("name", "a".into()), ("rule", Value::List(vec![]))]);
        // Terraform's proposed new state: computed+null config take prior.
        let mut planned = prior.clone();
        apply_computed(&block(), &mut planned, &config, Some(&prior));
        assert_eq!(planned, prior);
        assert!(replace_paths(&block(), &planned, &prior).is_empty());

        let config2 = obj(&[("name", "b".into()), ("rule", Value::List(vec![]))]);
        let mut planned2 = prior.clone();
        planned2.set("name", "b".into());
        apply_computed(&block(), &mut planned2, &config2, Some(&prior));
        mark_changed_computed_unknown(&block(), &mut planned2, &config2);
        assert_eq!(planned2.get("id").as_str(), Some("i-1"));
        assert!(planned2.get("digest").is_unknown());
        assert_eq!(replace_paths(&block(), &planned2, &prior), vec![AttrPath::attr("name")]);
    }

    #[test]
    fn validators_get_paths() {
        let bad = Value::Object(
            [("port".to_string(), Value::from("0")), ("uid".to_string(), Value::Null)].into_iter().collect(),
        );
        let good = Value::Object(
            [("port".to_string(), Value::from("1")), ("uid".to_string(), Value::Null)].into_iter().collect(),
        );
        let config = obj(&[("rule", Value::List(vec![good, bad]))]);
        let mut d = Diagnostics::new();
        validate(&block(), &config, &AttrPath::root(), &mut d);
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].path.as_ref().unwrap().to_string(), "rule[1].port");
    }

    #[test]
    fn write_only_attributes_are_cleared_and_nothing_else() {
        let mut b = block();
        b.attributes.push(Attribute::string("secret").optional().write_only());
        let mut v = Value::null_object(&b.ty());
        v.set("name", "a".into());
        v.set("secret", "s3cr3t".into());
        assert!(clear_write_only(&b, &mut v));
        assert!(v.get("secret").is_null());
        assert_eq!(v.get("name").as_str(), Some("a"));
        assert!(!clear_write_only(&b, &mut v), "nothing left to clear");
        let mut null = Value::Null;
        assert!(!clear_write_only(&b, &mut null));
    }
}
