//! A section's answer units and choosing the ones that answer this customer.
//!
//! A section's chat text (`Section::plain`) is split into units: numbered steps, bullet points and
//! prose paragraphs. An answer keeps the section's opening sentence (when it says when the section
//! applies), the steps, and any further prose that is about what the customer asked; a long list
//! keeps its most relevant items, in the author's order and with the author's numbers, so "step 3"
//! still means the same step in the article.

/// What a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// "3. Copy the signing secret…"
    Step,
    /// "- Monthly plans can be cancelled…"
    Bullet,
    /// A paragraph.
    Prose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub kind: UnitKind,
    pub text: String,
}

/// Most list items an answer keeps.
pub const MAX_ITEMS: usize = 5;
/// Most extra prose paragraphs (besides the opening one) an answer keeps.
const MAX_EXTRA_PROSE: usize = 2;
/// An opening paragraph longer than this is background, not a "when this applies" line.
const OPENING_MAX_CHARS: usize = 260;

fn kind_of(line: &str) -> UnitKind {
    let t = line.trim_start();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && t[digits..].starts_with(['.', ')']) {
        UnitKind::Step
    } else if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("• ") {
        UnitKind::Bullet
    } else {
        UnitKind::Prose
    }
}

/// The units of a section's plain text: one per non-empty line (`to_plain` joins wrapped lines).
pub fn split(plain: &str) -> Vec<Unit> {
    plain
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Unit {
            kind: kind_of(l),
            text: l.to_owned(),
        })
        .collect()
}

/// The indices of the units to answer with, in order. `relevance[i]` is how much unit `i` is about
/// the customer's question (any scale; higher is more), `floor` the relevance from which a further
/// prose paragraph is worth showing.
pub fn select(units: &[Unit], relevance: &[f32], floor: f32) -> Vec<usize> {
    let rel = |i: usize| relevance.get(i).copied().unwrap_or(0.0);
    let items: Vec<usize> = (0..units.len())
        .filter(|&i| units[i].kind != UnitKind::Prose)
        .collect();
    let mut keep: Vec<usize> = if items.len() <= MAX_ITEMS {
        items
    } else {
        let mut ranked = items;
        ranked.sort_by(|&a, &b| rel(b).total_cmp(&rel(a)).then(a.cmp(&b)));
        ranked.truncate(MAX_ITEMS);
        ranked
    };
    let prose: Vec<usize> = (0..units.len())
        .filter(|&i| units[i].kind == UnitKind::Prose)
        .collect();
    if let Some(&first) = prose.first() {
        // The paragraph before the first list item says when the steps apply.
        let opens = units[..first].iter().all(|u| u.kind == UnitKind::Prose)
            && units[first].text.chars().count() <= OPENING_MAX_CHARS;
        if opens || keep.is_empty() {
            keep.push(first);
        }
    }
    let mut extra: Vec<usize> = prose
        .iter()
        .copied()
        .filter(|i| !keep.contains(i) && rel(*i) >= floor)
        .collect();
    extra.sort_by(|&a, &b| rel(b).total_cmp(&rel(a)));
    extra.truncate(MAX_EXTRA_PROSE);
    keep.extend(extra);
    if keep.is_empty() {
        // A section of prose only, none of it above the floor: its most relevant paragraph.
        if let Some(best) = (0..units.len()).max_by(|&a, &b| rel(a).total_cmp(&rel(b))) {
            keep.push(best);
        }
    }
    keep.sort_unstable();
    keep.dedup();
    keep
}

/// The chosen units as chat text: list items on their own lines, a blank line around paragraphs.
pub fn render(units: &[Unit], chosen: &[usize]) -> String {
    let mut out = String::new();
    let mut prev: Option<UnitKind> = None;
    for &i in chosen {
        let Some(u) = units.get(i) else { continue };
        if let Some(p) = prev {
            let same_list = p != UnitKind::Prose && u.kind != UnitKind::Prose;
            out.push_str(if same_list { "\n" } else { "\n\n" });
        }
        out.push_str(&u.text);
        prev = Some(u.kind);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTION: &str = "Every webhook request carries a signature header.\n\n\
1. Take the raw body.\n2. Build the string.\n3. Compute the HMAC.\n4. Compare in constant time.\n\
5. Reject old timestamps.\n6. Log failures.\n\nIf you rotated the signing secret, both secrets are valid for 24 hours.";

    #[test]
    fn splits_steps_bullets_and_prose() {
        let units = split("Intro line.\n\n1. One.\n2) Two.\n- A bullet\n\nClosing.");
        let kinds: Vec<UnitKind> = units.iter().map(|u| u.kind).collect();
        assert_eq!(
            kinds,
            [
                UnitKind::Prose,
                UnitKind::Step,
                UnitKind::Step,
                UnitKind::Bullet,
                UnitKind::Prose
            ]
        );
    }

    #[test]
    fn keeps_the_opening_the_relevant_steps_and_relevant_prose() {
        let units = split(SECTION);
        // The customer asks about a rotated secret: the last paragraph matters most.
        let mut rel = vec![0.1f32; units.len()];
        rel[7] = 0.9;
        rel[6] = 0.0; // "Log failures." is the least relevant step
        let chosen = select(&units, &rel, 0.5);
        assert_eq!(chosen, [0, 1, 2, 3, 4, 5, 7]);
        let text = render(&units, &chosen);
        assert!(text.starts_with("Every webhook request carries a signature header.\n\n1. Take"));
        assert!(text.contains("5. Reject old timestamps.\n\nIf you rotated"));
        assert!(!text.contains("6. Log failures."));
    }

    #[test]
    fn irrelevant_extra_prose_is_left_out() {
        let units = split(SECTION);
        let rel = vec![0.1f32; units.len()];
        let chosen = select(&units, &rel, 0.5);
        assert!(!chosen.contains(&7));
    }

    #[test]
    fn prose_only_sections_answer_with_their_best_paragraph() {
        let units =
            split("A long background paragraph that goes on and on.\n\nThe part that answers.");
        let chosen = select(&units, &[0.1, 0.8], 0.5);
        assert_eq!(chosen, [0, 1]);
        let chosen = select(&units, &[0.1, 0.3], 0.5);
        assert_eq!(chosen, [0]);
    }
}
