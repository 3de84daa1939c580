//! How strongly a message signals frustration with the situation, independent of its valence:
//! the sum of the cue weights in `cues` found in it, plus punctuation and shouting.
//! The sentiment analyser combines this with valence to decide the `Frustrated` label.

use super::cues::{BANG_RUN, INTERROBANG, SHOUT_MANY, SHOUT_ONE};
use super::table::WordInfo;
use super::tokens::Tokens;

/// Total cue weight of a tokenised message. `infos[i]` is the table entry of word `i`.
pub(super) fn cue_weight(t: &Tokens, infos: &[Option<&WordInfo>]) -> f64 {
    let mut weight = 0.0;
    let mut shouted = 0usize;
    for (i, info) in infos.iter().enumerate() {
        if let Some(info) = info {
            weight += info.cue;
            weight += info
                .phrases
                .iter()
                .filter(|p| p.cue > 0.0 && p.matches_at(t, i))
                .map(|p| p.cue)
                .sum::<f64>();
        }
        // Capitals count as shouting unless the word is an acronym or a code ("2FA", "API").
        let is_name = info.is_some_and(|x| x.acronym);
        if t.caps(i) && !is_name && !t.word(i).bytes().any(|b| b.is_ascii_digit()) {
            shouted += 1;
        }
    }
    if t.longest_bang_run >= 3 {
        weight += BANG_RUN;
    }
    if t.interrobang {
        weight += INTERROBANG;
    }
    weight += match shouted {
        0 => 0.0,
        1 => SHOUT_ONE,
        _ => SHOUT_MANY,
    };
    weight
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::table::WordTable;

    fn weight(text: &str) -> f64 {
        let table = WordTable::build();
        let t = Tokens::new(text);
        let infos: Vec<_> = t.words().map(|w| table.get(w)).collect();
        cue_weight(&t, &infos)
    }

    #[test]
    fn calm_messages_have_no_cues() {
        assert_eq!(
            weight("My card was declined when I tried to pay the invoice."),
            0.0
        );
        assert_eq!(weight("How do I rotate my API KEY?"), 0.0);
        assert_eq!(weight("I set up 2FA on my new phone"), 0.0);
    }

    #[test]
    fn weak_cues_need_company() {
        assert_eq!(weight("Can you send the invoice again?"), 0.5);
        assert_eq!(weight("still broken"), 1.5);
    }

    #[test]
    fn punctuation_and_shouting_count() {
        assert_eq!(weight("why is this happening!!!"), 1.0);
        assert_eq!(weight("seriously?!"), 2.0);
        assert_eq!(weight("it is BROKEN"), 0.5);
        assert_eq!(weight("WHY IS IT BROKEN"), 1.0);
    }

    #[test]
    fn demands_count() {
        assert_eq!(weight("I want to speak to a manager"), 1.0);
        assert_eq!(weight("cancel my account"), 1.0);
    }
}
