//! Schemas: attributes, nested attributes and blocks, with the framework-level
//! behaviour Terraform does not see on the wire (defaults, requires-replace,
//! validators, keeping prior values for computed attributes).
//!
//! The attribute mode is one enum, so Required+Computed cannot be written.
//! This module knows nothing of Kubernetes or of any provider.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::diag::Diagnostic;
use super::types::Type;
use super::value::Value;

/// Whether the user sets an attribute, the provider does, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    Computed,
    /// Set by the user, or by the provider when the user leaves it out.
    OptionalComputed,
}

impl Mode {
    pub fn is_computed(self) -> bool {
        matches!(self, Mode::Computed | Mode::OptionalComputed)
    }
    pub fn is_settable(self) -> bool {
        !matches!(self, Mode::Computed)
    }
}

/// How a nested attribute or block holds its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    /// Blocks only: a single block that is never null.
    Group,
}

/// A check of a known, non-null value. Diagnostics it returns carry paths
/// relative to the attribute (usually none).
pub type Validator = Arc<dyn Fn(&Value) -> Vec<Diagnostic> + Send + Sync>;

/// What an attribute holds.
#[derive(Clone)]
pub enum AttrKind {
    Primitive(Type),
    Nested { nesting: Nesting, attributes: Vec<Attribute> },
}

/// One attribute.
#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub kind: AttrKind,
    pub mode: Mode,
    pub sensitive: bool,
    /// Markdown.
    pub description: String,
    pub deprecated: Option<String>,
    /// A change to this attribute replaces the resource.
    pub requires_replace: bool,
    /// Planned when the configuration leaves the attribute null (needs a computed mode).
    pub default: Option<Value>,
    /// Keep the prior value in plans instead of marking it unknown on update
    /// (for computed values that only change on replacement).
    pub keep_prior: bool,
    /// Never stored: Terraform 1.11 and later keep it out of plans and state;
    /// older versions, which do not know the flag, store it like any other.
    pub write_only: bool,
    pub validators: Vec<Validator>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute").field("name", &self.name).field("mode", &self.mode).finish_non_exhaustive()
    }
}

impl Attribute {
    fn new(name: &str, kind: AttrKind) -> Attribute {
        Attribute {
            name: name.to_string(),
            kind,
            mode: Mode::Optional,
            sensitive: false,
            description: String::new(),
            deprecated: None,
            requires_replace: false,
            default: None,
            keep_prior: false,
            write_only: false,
            validators: Vec::new(),
        }
    }
    pub fn of_type(name: &str, ty: Type) -> Attribute {
        Attribute::new(name, AttrKind::Primitive(ty))
    }
    pub fn string(name: &str) -> Attribute {
        Attribute::of_type(name, Type::String)
    }
    pub fn number(name: &str) -> Attribute {
        Attribute::of_type(name, Type::Number)
    }
    pub fn bool(name: &str) -> Attribute {
        Attribute::of_type(name, Type::Bool)
    }
    pub fn string_list(name: &str) -> Attribute {
        Attribute::of_type(name, Type::list(Type::String))
    }
    pub fn string_set(name: &str) -> Attribute {
        Attribute::of_type(name, Type::set(Type::String))
    }
    pub fn string_map(name: &str) -> Attribute {
        Attribute::of_type(name, Type::map(Type::String))
    }
    pub fn nested(name: &str, nesting: Nesting, attributes: Vec<Attribute>) -> Attribute {
        Attribute::new(name, AttrKind::Nested { nesting, attributes })
    }

    pub fn required(mut self) -> Self {
        self.mode = Mode::Required;
        self
    }
    pub fn optional(mut self) -> Self {
        self.mode = Mode::Optional;
        self
    }
    pub fn computed(mut self) -> Self {
        self.mode = Mode::Computed;
        self
    }
    pub fn optional_computed(mut self) -> Self {
        self.mode = Mode::OptionalComputed;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn describe(mut self, markdown: &str) -> Self {
        self.description = markdown.to_string();
        self
    }
    pub fn deprecated(mut self, message: &str) -> Self {
        self.deprecated = Some(message.to_string());
        self
    }
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }
    /// A default implies optional+computed.
    pub fn default(mut self, v: Value) -> Self {
        self.default = Some(v);
        self.mode = Mode::OptionalComputed;
        self
    }
    pub fn keep_prior(mut self) -> Self {
        self.keep_prior = true;
        self
    }
    /// See [`Attribute::write_only`]; only for top-level, non-computed
    /// attributes of managed resources.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    pub fn validate(mut self, f: impl Fn(&Value) -> Vec<Diagnostic> + Send + Sync + 'static) -> Self {
        self.validators.push(Arc::new(f));
        self
    }

    /// The value type this attribute holds.
    pub fn ty(&self) -> Type {
        match &self.kind {
            AttrKind::Primitive(t) => t.clone(),
            AttrKind::Nested { nesting, attributes } => {
                let obj = Type::object(attributes.iter().map(|a| (a.name.clone(), a.ty())));
                match nesting {
                    Nesting::Single | Nesting::Group => obj,
                    Nesting::List => Type::list(obj),
                    Nesting::Set => Type::set(obj),
                    Nesting::Map => Type::map(obj),
                }
            }
        }
    }
}

/// A nested block type.
#[derive(Debug, Clone)]
pub struct BlockType {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
    pub requires_replace: bool,
}

impl BlockType {
    pub fn new(name: &str, nesting: Nesting, block: Block) -> BlockType {
        BlockType { name: name.to_string(), nesting, block, min_items: 0, max_items: 0, requires_replace: false }
    }
    /// At least `n` blocks; for a single block, `min(1)` makes it required
    /// (Terraform wants min and max equal for single blocks).
    pub fn min(mut self, n: i64) -> Self {
        self.min_items = n;
        if self.nesting == Nesting::Single {
            self.max_items = n;
        }
        self
    }
    pub fn max(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }
    /// The value type of this block type.
    pub fn ty(&self) -> Type {
        let obj = self.block.ty();
        match self.nesting {
            Nesting::Single | Nesting::Group => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }
}

/// A block: attributes and nested block types.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<BlockType>,
    /// Markdown.
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new(attributes: Vec<Attribute>) -> Block {
        Block { attributes, ..Default::default() }
    }
    pub fn with_blocks(mut self, blocks: Vec<BlockType>) -> Self {
        self.blocks = blocks;
        self
    }
    pub fn describe(mut self, markdown: &str) -> Self {
        self.description = markdown.to_string();
        self
    }
    /// The object type of a value of this block.
    pub fn ty(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self.attributes.iter().map(|a| (a.name.clone(), a.ty())).collect();
        for b in &self.blocks {
            attrs.insert(b.name.clone(), b.ty());
        }
        Type::Object(attrs, Default::default())
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Checks the rules Terraform applies when it loads a schema, so a broken
    /// schema fails in unit tests rather than in a user's plan.
    pub fn check(&self) -> Result<(), String> {
        fn valid_name(n: &str) -> bool {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }
        fn check_attrs(attrs: &[Attribute], in_set: bool) -> Result<(), String> {
            let mut seen = std::collections::BTreeSet::new();
            for a in attrs {
                if !valid_name(&a.name) {
                    return Err(format!("invalid attribute name {:?}", a.name));
                }
                if !seen.insert(&a.name) {
                    return Err(format!("duplicate attribute {:?}", a.name));
                }
                if a.default.is_some() && !a.mode.is_computed() {
                    return Err(format!("{}: a default needs a computed mode", a.name));
                }
                if in_set && matches!(&a.kind, AttrKind::Primitive(Type::Dynamic)) {
                    return Err(format!("{}: dynamic attributes cannot sit inside a set", a.name));
                }
                if let AttrKind::Nested { nesting, attributes } = &a.kind {
                    if *nesting == Nesting::Group {
                        return Err(format!("{}: nested attributes cannot use group nesting", a.name));
                    }
                    check_attrs(attributes, in_set || *nesting == Nesting::Set)?;
                }
            }
            Ok(())
        }
        check_attrs(&self.attributes, false)?;
        for b in &self.blocks {
            if !valid_name(&b.name) {
                return Err(format!("invalid block name {:?}", b.name));
            }
            if self.attributes.iter().any(|a| a.name == b.name) {
                return Err(format!("{:?} is both an attribute and a block", b.name));
            }
            match b.nesting {
                Nesting::Single if !(0..=1).contains(&b.min_items) || b.min_items != b.max_items => {
                    return Err(format!("{}: single blocks take min = max, 0 or 1", b.name))
                }
                Nesting::Group | Nesting::Map if b.min_items != 0 || b.max_items != 0 => {
                    return Err(format!("{}: group and map blocks take no min/max", b.name))
                }
                _ => {}
            }
            b.block.check()?;
        }
        Ok(())
    }
}

/// A versioned schema of a resource, data source or provider.
#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }
    pub fn ty(&self) -> Type {
        self.block.ty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_of_blocks_and_nested_attributes() {
        let b = Block::new(vec![
            Attribute::string("a").required(),
            Attribute::nested("n", Nesting::List, vec![Attribute::string("x").optional()]),
        ])
        .with_blocks(vec![BlockType::new("b", Nesting::Set, Block::new(vec![Attribute::bool("on")]))]);
        assert!(b.check().is_ok());
        assert_eq!(
            b.ty().to_json().to_string(),
            r#"["object",{"a":"string","b":["set",["object",{"on":"bool"}]],"n":["list",["object",{"x":"string"}]]}]"#
        );
    }

    #[test]
    fn check_catches_bad_schemas() {
        assert!(Block::new(vec![Attribute::string("Bad")]).check().is_err());
        assert!(Block::new(vec![Attribute::string("a"), Attribute::string("a")]).check().is_err());
        let mut bad_default = Attribute::string("a").default(Value::from("x"));
        bad_default.mode = Mode::Optional;
        assert!(Block::new(vec![bad_default]).check().is_err());
        let dyn_in_set = Attribute::nested("s", Nesting::Set, vec![Attribute::of_type("d", Type::Dynamic).optional()]);
        assert!(Block::new(vec![dyn_in_set]).check().is_err());
        let b = Block::default().with_blocks(vec![BlockType::new("g", Nesting::Group, Block::default()).min(1)]);
        assert!(b.check().is_err());
    }
}
