//! Whisper's vocabulary as whisper.cpp wants it: the byte-level BPE tokens as raw bytes.
//!
//! GPT-2's tokenizer (and so Whisper's, and CTranslate2's vocabulary files) writes each token as
//! text in which every byte stands for one printable character: bytes that are already printable
//! (`!`..`~`, `¡`..`¬`, `®`..`ÿ`) stand for themselves and the other 68 are moved, in order, to
//! U+0100 onwards (`Ġ` is the space, `Ċ` the newline). Decoding undoes that.
//!
//! whisper.cpp's file holds only the BPE tokens — the ranks of GPT-2's tokenizer, everything
//! before `<|endoftext|>` — as OpenAI's checkpoints and whisper.cpp's own converter have them; the
//! loader then names `<|endoftext|>`, the task, language and timestamp tokens itself from the
//! model's `n_vocab`.

use super::ModelError;

const END_OF_TEXT: &str = "<|endoftext|>";

/// The byte-level BPE tokens of `tokens` (those before `<|endoftext|>`), decoded to bytes.
pub fn bpe_tokens(tokens: &[String]) -> Result<Vec<Vec<u8>>, ModelError> {
    let end = tokens
        .iter()
        .position(|t| t == END_OF_TEXT)
        .ok_or(ModelError::NoEndOfText)?;
    let table = DecodeTable::new();
    tokens[..end]
        .iter()
        .enumerate()
        .map(|(index, token)| {
            table.decode(token).map_err(|ch| ModelError::NotByteLevel {
                index,
                token: token.clone(),
                ch,
            })
        })
        .collect()
}

/// Character (as a code point below 0x200) to byte; `None` for code points no byte maps to.
struct DecodeTable([Option<u8>; 0x200]);

impl DecodeTable {
    fn new() -> Self {
        let mut table = [None; 0x200];
        let mut next_moved = 0x100u16;
        for b in 0..=255u8 {
            let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
            let ch = if printable {
                u16::from(b)
            } else {
                let c = next_moved;
                next_moved += 1;
                c
            };
            table[usize::from(ch)] = Some(b);
        }
        DecodeTable(table)
    }

    fn decode(&self, token: &str) -> Result<Vec<u8>, char> {
        token
            .chars()
            .map(|ch| self.0.get(ch as usize).copied().flatten().ok_or(ch))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> Result<Vec<u8>, char> {
        DecodeTable::new().decode(s)
    }

    #[test]
    fn printable_bytes_stand_for_themselves() {
        assert_eq!(decode("Hello!").as_deref(), Ok(&b"Hello!"[..]));
        assert_eq!(decode("\u{a1}\u{ff}").as_deref(), Ok(&[0xA1, 0xFF][..]));
    }

    #[test]
    fn moved_bytes_come_back() {
        // GPT-2's table: 0x00 -> U+0100, space (0x20) -> U+0120 'Ġ', '\n' -> U+010A 'Ċ',
        // 0x7F -> U+0121, 0xAD (soft hyphen) -> U+0143, the last moved byte.
        assert_eq!(decode("\u{100}").as_deref(), Ok(&[0u8][..]));
        assert_eq!(decode("Ġthe").as_deref(), Ok(&b" the"[..]));
        assert_eq!(decode("ĊĊ").as_deref(), Ok(&b"\n\n"[..]));
        assert_eq!(decode("\u{121}").as_deref(), Ok(&[0x7F][..]));
        assert_eq!(decode("\u{143}").as_deref(), Ok(&[0xAD][..]));
    }

    #[test]
    fn multibyte_utf8_is_split_across_characters() {
        // "é" is C3 A9 in UTF-8; both bytes are printable Latin-1, so the token reads "Ã©".
        assert_eq!(
            decode("Ġcaf\u{c3}\u{a9}").as_deref(),
            Ok("\u{20}café".as_bytes())
        );
    }

    #[test]
    fn characters_outside_the_alphabet_are_rejected() {
        assert_eq!(decode("a b"), Err(' '));
        assert_eq!(decode("\u{144}"), Err('\u{144}'));
        assert_eq!(decode("€"), Err('€'));
    }

    #[test]
    fn all_256_bytes_round_trip() {
        let table = DecodeTable::new();
        let mapped: Vec<u8> = table.0.iter().flatten().copied().collect();
        let mut sorted = mapped.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..=255).collect::<Vec<u8>>());
    }

    #[test]
    fn stops_before_end_of_text() {
        let tokens: Vec<String> = ["Ġa", "b", "<|endoftext|>", "<|startoftranscript|>"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = bpe_tokens(&tokens).expect("decodes");
        assert_eq!(out, vec![b" a".to_vec(), b"b".to_vec()]);
        assert!(matches!(
            bpe_tokens(&tokens[..2]),
            Err(ModelError::NoEndOfText)
        ));
    }
}
