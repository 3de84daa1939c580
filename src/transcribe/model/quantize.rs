//! ggml's own encodings of f32 weights — float16 and q8_0 — computed by the ggml library that
//! whisper.cpp is built with (linked through whisper-rs), so the bytes are exactly what ggml's
//! kernels expect and what whisper.cpp's `quantize` tool would write.
//!
//! q8_0 stores each run of 32 values of a row as 32 int8 and one float16 scale (34 bytes, 8.5 bits
//! a weight). Rows must be whole blocks: checked here, because ggml aborts the process otherwise.

use super::ggml::GgmlType;
use super::ModelError;
use whisper_rs::whisper_rs_sys as sys;

/// IEEE float16, little-endian, rounded the way ggml rounds.
pub fn f16(values: &[f32]) -> Vec<u8> {
    let mut halves = vec![0u16; values.len()];
    // SAFETY: both buffers hold `values.len()` elements; ggml reads that many and writes that many.
    unsafe {
        sys::ggml_fp32_to_fp16_row(values.as_ptr(), halves.as_mut_ptr(), halves.len() as i64)
    };
    halves.iter().flat_map(|h| h.to_le_bytes()).collect()
}

/// q8_0 blocks of `values`, a row-major matrix with rows of `n_per_row` values.
pub fn q8_0(name: &str, values: &[f32], n_per_row: usize) -> Result<Vec<u8>, ModelError> {
    let ty = GgmlType::Q8_0 as sys::ggml_type;
    // SAFETY: plain lookups in ggml's static type table.
    let (block, needs_imatrix) = unsafe {
        (
            sys::ggml_blck_size(ty),
            sys::ggml_quantize_requires_imatrix(ty),
        )
    };
    let block = usize::try_from(block).unwrap_or(0);
    if needs_imatrix
        || block == 0
        || n_per_row == 0
        || !n_per_row.is_multiple_of(block)
        || !values.len().is_multiple_of(n_per_row)
    {
        return Err(ModelError::RowNotBlockAligned {
            name: name.to_owned(),
            n_per_row,
            block,
        });
    }
    let rows = values.len() / n_per_row;
    let too_big = |_| ModelError::BadTensor {
        name: name.to_owned(),
        reason: "too large for ggml's 64-bit sizes".into(),
    };
    let n_per_row_i64 = i64::try_from(n_per_row).map_err(too_big)?;
    let rows_i64 = i64::try_from(rows).map_err(too_big)?;
    // SAFETY: a pure size computation.
    let row_bytes = unsafe { sys::ggml_row_size(ty, n_per_row_i64) };
    let mut out = vec![0u8; rows * row_bytes];
    // SAFETY: `values` holds rows × n_per_row f32 and `out` rows × row_bytes bytes, exactly what
    // ggml reads and writes for these arguments; n_per_row is a whole number of blocks (checked
    // above) and q8_0 takes no importance matrix, so null is allowed.
    let written = unsafe {
        sys::ggml_quantize_chunk(
            ty,
            values.as_ptr(),
            out.as_mut_ptr().cast(),
            0,
            rows_i64,
            n_per_row_i64,
            std::ptr::null(),
        )
    };
    if written != out.len() {
        return Err(ModelError::BadTensor {
            name: name.to_owned(),
            reason: format!("ggml wrote {written} bytes of q8_0, expected {}", out.len()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_rounds_to_nearest_even() {
        let b = f16(&[1.0, -2.0, 0.1, 65504.0, 1e-8]);
        let h: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(h, vec![0x3c00, 0xc000, 0x2e66, 0x7bff, 0x0000]);
    }

    /// ggml's reference: scale d = max|x| / 127 stored as f16, quants round(x / d).
    fn reference_block(x: &[f32]) -> Vec<u8> {
        let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        let mut out = f16(&[d]);
        out.extend(x.iter().map(|v| (v * id).round() as i8 as u8));
        out
    }

    #[test]
    fn q8_0_blocks_match_the_reference() {
        let row: Vec<f32> = (0..64).map(|i| (i as f32 - 20.0) * 0.37).collect();
        let got = q8_0("t", &row, 64).expect("quantizes");
        assert_eq!(got.len(), 2 * 34);
        let want = [reference_block(&row[..32]), reference_block(&row[32..])].concat();
        assert_eq!(got, want);
    }

    #[test]
    fn rows_must_be_whole_blocks() {
        assert!(matches!(
            q8_0("t", &[0.0; 48], 48),
            Err(ModelError::RowNotBlockAligned { block: 32, .. })
        ));
        assert!(q8_0("t", &[0.0; 64], 0).is_err());
        assert!(q8_0("t", &[0.0; 96], 64).is_err());
    }
}
