//! Conversions between the framework's types and the generated protobuf
//! messages: dynamic values, diagnostics, attribute paths and schemas.

use crate::tfplugin::diag::{AttrPath, Diagnostic, Diagnostics, Severity, Step};
use crate::tfplugin::json::{self, UnknownKeys};
use crate::tfplugin::msgpack;
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::schema::{AttrKind, Attribute, Block, BlockType, Mode, Nesting, Schema};
use crate::tfplugin::types::Type;
use crate::tfplugin::value::Value;

/// Decodes a `DynamicValue`: msgpack when present, else JSON, else null
/// (Terraform sends no value at all for a null object).
pub fn decode_dv(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let res = if !dv.msgpack.is_empty() {
        msgpack::decode(&dv.msgpack, ty).map_err(|e| e.to_string())
    } else if !dv.json.is_empty() {
        json::decode(&dv.json, ty, UnknownKeys::Reject).map_err(|e| e.to_string())
    } else {
        Ok(Value::Null)
    };
    res.map_err(|e| {
        Diagnostic::error(
            format!("Invalid {what} received from Terraform"),
            format!("The provider could not decode the {what}: {e}. This is a bug in Terraform or the provider; please report it."),
        )
    })
}

/// Decodes a value Terraform only ever sends wholly known (stored states,
/// the configuration at apply time); an unknown there is a protocol error.
pub fn decode_known(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let v = decode_dv(dv, ty, what)?;
    if v.is_wholly_known() {
        Ok(v)
    } else {
        Err(Diagnostic::error(
            format!("Unknown values in the {what}"),
            format!("Terraform sent a {what} with unknown values, which the protocol never allows here. This is a bug in Terraform or in whatever sent the request; nothing was changed."),
        ))
    }
}

/// Encodes a value as a msgpack `DynamicValue` (JSON cannot carry unknowns).
pub fn encode_dv(v: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    msgpack::encode(v, ty).map(|msgpack| pb::DynamicValue { msgpack, json: Vec::new() }).map_err(|e| {
        Diagnostic::error(
            format!("Provider produced an invalid {what}"),
            format!("The {what} does not match the schema: {e}. This is a bug in the provider; please report it."),
        )
    })
}

pub fn path_to_pb(p: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(a) => Selector::AttributeName(a.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                }),
            })
            .collect(),
    }
}

pub fn diag_to_pb(d: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error as i32,
            Severity::Warning => pb::diagnostic::Severity::Warning as i32,
        },
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().filter(|p| !p.is_root()).map(path_to_pb),
    }
}

pub fn diags_to_pb(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.iter().map(diag_to_pb).collect()
}

fn attribute_to_pb(a: &Attribute) -> pb::schema::Attribute {
    let (ty, nested) = match &a.kind {
        AttrKind::Primitive(t) => (t.to_json_bytes(), None),
        AttrKind::Nested { nesting, attributes } => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attributes.iter().map(attribute_to_pb).collect(),
                nesting: match nesting {
                    Nesting::Single | Nesting::Group => pb::schema::object::NestingMode::Single,
                    Nesting::List => pb::schema::object::NestingMode::List,
                    Nesting::Set => pb::schema::object::NestingMode::Set,
                    Nesting::Map => pb::schema::object::NestingMode::Map,
                } as i32,
                ..Default::default()
            }),
        ),
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type: nested,
        description: a.description.clone(),
        required: a.mode == Mode::Required,
        optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
        computed: a.mode.is_computed(),
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecated.is_some(),
        write_only: a.write_only,
        deprecation_message: a.deprecated.clone().unwrap_or_default(),
    }
}

fn block_type_to_pb(b: &BlockType) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode as N;
    pb::schema::NestedBlock {
        type_name: b.name.clone(),
        block: Some(block_to_pb(&b.block, 0)),
        nesting: match b.nesting {
            Nesting::Single => N::Single,
            Nesting::List => N::List,
            Nesting::Set => N::Set,
            Nesting::Map => N::Map,
            Nesting::Group => N::Group,
        } as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

fn block_to_pb(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute_to_pb).collect(),
        block_types: b.blocks.iter().map(block_type_to_pb).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        deprecation_message: String::new(),
    }
}

pub fn schema_to_pb(s: &Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block_to_pb(&s.block, s.version)) }
}

/// Whether the client (Terraform 1.11 and later) knows write-only attributes.
pub fn allows_write_only(caps: Option<&pb::ClientCapabilities>) -> bool {
    caps.is_some_and(|c| c.write_only_attributes_allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_dynamic_value_is_null() {
        assert_eq!(decode_dv(None, &Type::String, "x").unwrap(), Value::Null);
        let empty = pb::DynamicValue::default();
        assert_eq!(decode_dv(Some(&empty), &Type::String, "x").unwrap(), Value::Null);
        let json = pb::DynamicValue { msgpack: vec![], json: br#""hi""#.to_vec() };
        assert_eq!(decode_dv(Some(&json), &Type::String, "x").unwrap().as_str(), Some("hi"));
    }

    #[test]
    fn diag_paths() {
        let d = Diagnostic::error("s", "d").at(AttrPath::attr("a").then_index(2).then_key("k"));
        let p = diag_to_pb(&d);
        assert_eq!(p.severity, 1);
        assert_eq!(p.attribute.unwrap().steps.len(), 3);
    }

    #[test]
    fn attribute_modes() {
        let a = attribute_to_pb(&Attribute::string("x").optional_computed().sensitive());
        assert!(a.optional && a.computed && !a.required && a.sensitive);
        assert_eq!(a.r#type, br#""string""#);
    }
}
