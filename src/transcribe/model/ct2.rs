//! Reader of CTranslate2's `model.bin`: the spec name, every variable (name, shape, data type,
//! row-major bytes) and the aliases, checked against the file's own sizes. Pure: bytes in, model out.
//!
//! Layout, little-endian, as CTranslate2's Python `ModelSpec` writes it and its C++ loader reads it:
//! - u32 binary version; from version 2 on, the spec name (a string) and a u32 spec revision;
//! - u32 variable count, then per variable: its name (a string), u8 rank, `rank` u32 dimensions,
//!   then from version 4 on a u8 data-type id and a u32 byte count (earlier versions: a u8 item
//!   size and a u32 element count), then the bytes;
//! - from version 3 on, u32 alias count, then per alias two strings: the alias and the variable.
//!
//! A string is a u16 length that counts a trailing NUL, then that many bytes.

use super::ModelError;
use std::collections::BTreeMap;

/// Element types, numbered as CTranslate2's `DataType` enum (the id stored in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl Dtype {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Dtype::F32,
            1 => Dtype::I8,
            2 => Dtype::I16,
            3 => Dtype::I32,
            4 => Dtype::F16,
            5 => Dtype::Bf16,
            _ => return None,
        })
    }

    /// Before binary version 4 the file stored only an item size; CTranslate2 read 4 as float32,
    /// 2 as int16 and 1 as int8.
    fn from_item_size(size: u8) -> Option<Self> {
        Some(match size {
            4 => Dtype::F32,
            2 => Dtype::I16,
            1 => Dtype::I8,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Dtype::I8 => 1,
            Dtype::I16 | Dtype::F16 | Dtype::Bf16 => 2,
            Dtype::F32 | Dtype::I32 => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::I8 => "int8",
            Dtype::I16 => "int16",
            Dtype::I32 => "int32",
            Dtype::F16 => "float16",
            Dtype::Bf16 => "bfloat16",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Variable {
    /// Row-major, outermost dimension first (PyTorch's order); empty for a scalar.
    pub shape: Vec<usize>,
    pub dtype: Dtype,
    pub data: Vec<u8>,
}

impl Variable {
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }

    /// The value of an integer or boolean scalar (CTranslate2 stores flags and head counts so).
    pub fn scalar_int(&self) -> Option<i64> {
        if !self.shape.is_empty() {
            return None;
        }
        let b = &self.data;
        match self.dtype {
            Dtype::I8 => Some(i64::from(*b.first()? as i8)),
            Dtype::I16 => Some(i64::from(i16::from_le_bytes(b.get(..2)?.try_into().ok()?))),
            Dtype::I32 => Some(i64::from(i32::from_le_bytes(b.get(..4)?.try_into().ok()?))),
            _ => None,
        }
    }
}

/// `bytes` (whole elements of `dtype`) widened to f32, exactly: every float16 and bfloat16 value
/// is representable in f32. `None` for integer types, which hold no weights we convert.
pub fn to_f32(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    let halves = || {
        bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
    };
    match dtype {
        Dtype::F32 => Some(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        Dtype::F16 => Some(halves().map(f16_to_f32).collect()),
        Dtype::Bf16 => Some(
            halves()
                .map(|h| f32::from_bits(u32::from(h) << 16))
                .collect(),
        ),
        Dtype::I8 | Dtype::I16 | Dtype::I32 => None,
    }
}

/// IEEE 754 binary16 to binary32.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    match exp {
        0 => {
            // Zero or subnormal: man × 2^-24, exact in f32 (a power-of-two scale of a 10-bit integer).
            let v = man as f32 * f32::from_bits(0x3380_0000);
            f32::from_bits(v.to_bits() | sign)
        }
        0x1f => f32::from_bits(sign | 0x7f80_0000 | (man << 13)),
        _ => f32::from_bits(sign | ((exp + 127 - 15) << 23) | (man << 13)),
    }
}

#[derive(Debug, Clone)]
pub struct Ct2Model {
    pub binary_version: u32,
    pub spec: String,
    pub revision: u32,
    variables: BTreeMap<String, Variable>,
    aliases: BTreeMap<String, String>,
}

impl Ct2Model {
    pub fn parse(bytes: &[u8]) -> Result<Self, ModelError> {
        let mut c = Cursor { buf: bytes, pos: 0 };
        let binary_version = c.u32("the binary version")?;
        if !(2..=6).contains(&binary_version) {
            return Err(ModelError::UnsupportedVersion(binary_version));
        }
        let spec = c.string("the spec name")?;
        let revision = c.u32("the spec revision")?;

        let count = c.u32("the variable count")?;
        let mut variables = BTreeMap::new();
        for _ in 0..count {
            let name = c.string("a variable name")?;
            let rank = usize::from(c.u8("a rank")?);
            let shape = (0..rank)
                .map(|_| c.u32("a dimension").map(|d| d as usize))
                .collect::<Result<Vec<_>, _>>()?;
            let (dtype, n_bytes) = if binary_version >= 4 {
                let id = c.u8("a data type")?;
                let dtype = Dtype::from_id(id).ok_or_else(|| ModelError::UnknownDtype {
                    name: name.clone(),
                    id,
                })?;
                (dtype, c.u32("a byte count")? as usize)
            } else {
                let size = c.u8("an item size")?;
                let dtype =
                    Dtype::from_item_size(size).ok_or_else(|| ModelError::UnknownDtype {
                        name: name.clone(),
                        id: size,
                    })?;
                let n = c.u32("an element count")? as usize;
                (dtype, n.saturating_mul(dtype.size()))
            };
            let expected = shape
                .iter()
                .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d));
            if expected != Some(n_bytes) {
                return Err(ModelError::PayloadSize {
                    name,
                    shape,
                    bytes: n_bytes,
                });
            }
            let data = c
                .take(n_bytes, || format!("the data of `{name}`"))?
                .to_vec();
            let var = Variable { shape, dtype, data };
            if variables.insert(name.clone(), var).is_some() {
                return Err(ModelError::DuplicateVariable(name));
            }
        }

        let mut aliases = BTreeMap::new();
        if binary_version >= 3 {
            let count = c.u32("the alias count")?;
            for _ in 0..count {
                let alias = c.string("an alias")?;
                let target = c.string("an alias target")?;
                if !variables.contains_key(&target) {
                    return Err(ModelError::DanglingAlias { alias, target });
                }
                aliases.insert(alias, target);
            }
        }
        let rest = bytes.len() - c.pos;
        if rest != 0 {
            return Err(ModelError::TrailingBytes(rest));
        }
        Ok(Ct2Model {
            binary_version,
            spec,
            revision,
            variables,
            aliases,
        })
    }

    /// A model from its parts, for building one in memory.
    pub fn new(
        spec: &str,
        variables: BTreeMap<String, Variable>,
        aliases: BTreeMap<String, String>,
    ) -> Self {
        Ct2Model {
            binary_version: 6,
            spec: spec.to_owned(),
            revision: 0,
            variables,
            aliases,
        }
    }

    /// The variable stored under `name`, or the one `name` is an alias of.
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.variables.get(self.resolve(name))
    }

    /// Like `get`, with the stored name.
    pub fn entry(&self, name: &str) -> Option<(&str, &Variable)> {
        self.variables
            .get_key_value(self.resolve(name))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The stored name behind `name` (itself unless it is an alias).
    pub fn resolve<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases.get(name).map(String::as_str).unwrap_or(name)
    }

    /// Stored variables (not aliases), sorted by name.
    pub fn variables(&self) -> impl Iterator<Item = (&str, &Variable)> {
        self.variables.iter().map(|(k, v)| (k.as_str(), v))
    }
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: impl FnOnce() -> String) -> Result<&'a [u8], ModelError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(ModelError::Truncated {
                offset: self.pos,
                what: what(),
                needed: n - (self.buf.len() - self.pos),
            }),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.take(1, || what.to_owned())?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, ModelError> {
        let b = self.take(2, || what.to_owned())?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        let b = self.take(4, || what.to_owned())?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self, what: &str) -> Result<String, ModelError> {
        let offset = self.pos;
        let len = usize::from(self.u16(what)?);
        let bytes = self.take(len, || what.to_owned())?;
        match bytes.split_last() {
            Some((0, text)) => std::str::from_utf8(text)
                .map(str::to_owned)
                .map_err(|_| ModelError::BadString { offset }),
            _ => Err(ModelError::BadString { offset }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    fn variable(out: &mut Vec<u8>, name: &str, shape: &[u32], dtype: u8, data: &[u8]) {
        string(out, name);
        out.push(shape.len() as u8);
        for d in shape {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.push(dtype);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    }

    /// A two-variable, one-alias model in binary version 6.
    fn sample() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&6u32.to_le_bytes());
        string(&mut b, "WhisperSpec");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&2u32.to_le_bytes());
        // float16 [1.0, -2.0, 0.5] as a 1x3 matrix.
        variable(
            &mut b,
            "m",
            &[1, 3],
            4,
            &[0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38],
        );
        variable(&mut b, "heads", &[], 2, &6i16.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        string(&mut b, "alias");
        string(&mut b, "m");
        b
    }

    #[test]
    fn reads_variables_scalars_and_aliases() {
        let model = Ct2Model::parse(&sample()).expect("parses");
        assert_eq!(model.spec, "WhisperSpec");
        assert_eq!((model.binary_version, model.revision), (6, 3));
        let m = model.get("m").expect("m");
        assert_eq!(m.shape, vec![1, 3]);
        assert_eq!(to_f32(m.dtype, &m.data), Some(vec![1.0, -2.0, 0.5]));
        assert_eq!(model.get("heads").and_then(Variable::scalar_int), Some(6));
        assert_eq!(model.resolve("alias"), "m");
        assert_eq!(model.get("alias").map(|v| v.elements()), Some(3));
        assert_eq!(model.variables().count(), 2);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let full = sample();
        for cut in 0..full.len() {
            assert!(Ct2Model::parse(&full[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = full.clone();
        longer.push(0);
        assert!(matches!(
            Ct2Model::parse(&longer),
            Err(ModelError::TrailingBytes(1))
        ));
    }

    #[test]
    fn payload_must_match_shape() {
        let mut b = Vec::new();
        b.extend_from_slice(&6u32.to_le_bytes());
        string(&mut b, "WhisperSpec");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        variable(&mut b, "m", &[2, 2], 4, &[0; 6]);
        assert!(matches!(
            Ct2Model::parse(&b),
            Err(ModelError::PayloadSize { .. })
        ));
    }

    #[test]
    fn half_precision_edge_values() {
        assert_eq!(f16_to_f32(0x0000), 0.0);
        assert!(f16_to_f32(0x8000).is_sign_negative());
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14));
        assert_eq!(f16_to_f32(0xc200), -3.0);
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
    }
}
