//! Lexicon sentiment in the style of VADER (Hutto & Gilbert, 2014), with our own support-chat
//! lexicon, plus a `Frustrated` label.
//!
//! Each known word (or phrase) contributes its valence, adjusted by the heuristics VADER made
//! popular: up to three preceding intensifiers or dampeners in the same clause add or remove
//! intensity, fading with distance; a negator in that window flips and shrinks it; a word in
//! capitals among lowercase ones is emphasised; around the first "but" (or "however") the words
//! after it count three times as much as those before. The sum, pushed further from zero by `!` and repeated `?`, is normalised
//! by `x / sqrt(x² + 15)` into the compound score in [-1, 1].
//!
//! Labels: `Positive` at compound >= 0.05, `Negative` at <= -0.05, otherwise `Neutral`; and
//! `Frustrated` instead of `Negative` when the message also carries frustration cues (see `cues`)
//! of total weight >= 1.0. Cues of weight >= 2.0 make a message frustrated even when its words
//! carry no valence ("third time I'm asking!!!"), as long as it is not positive; its score is then
//! pushed negative, so a frustrated message never has a neutral score.

use super::frustration::cue_weight;
use super::table::{is_negator, WordInfo, WordTable};
use super::tokens::Tokens;
use crate::domain::{Sentiment, SentimentLabel};
use std::sync::OnceLock;

/// Added to the magnitude of a capitalised sentiment word or booster.
const CAPS_BOOST: f64 = 0.733;
/// A negated valence is flipped and shrunk: "not great" is bad, but less bad than "terrible".
const NEGATION: f64 = -0.74;
/// Booster effect at distance 1, 2 and 3 words before the sentiment word.
const BOOSTER_FADE: [f64; 3] = [1.0, 0.95, 0.9];
/// Weights of the clauses before and after "but".
const BEFORE_BUT: f64 = 0.5;
const AFTER_BUT: f64 = 1.5;
/// Each '!' (up to four) adds this much intensity.
const BANG: f64 = 0.292;
const MAX_BANGS: usize = 4;
/// Two or three '?' add this much each; more add `MAX_QUESTION_BOOST`.
const QUESTION: f64 = 0.18;
const MAX_QUESTION_BOOST: f64 = 0.96;
/// Normalisation constant: a raw sum of ±3.9 maps to about ±0.7.
const ALPHA: f64 = 15.0;
/// Label thresholds on the compound score.
const POSITIVE_MIN: f64 = 0.05;
const NEGATIVE_MAX: f64 = -0.05;
/// Cue weight that makes a negative message frustrated, and that makes a non-positive one so.
const FRUSTRATED_MIN: f64 = 1.0;
const FRUSTRATED_STRONG: f64 = 2.0;
/// Valence each unit of cue weight lends a message that is frustrated on cues alone.
const CUE_VALENCE: f64 = 0.5;

/// The analyser: a lookup table built once, then shared; `analyze` takes `&self`.
#[derive(Debug)]
pub struct SentimentAnalyzer {
    table: WordTable,
}

impl Default for SentimentAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

/// Sentiment of `text` with a process-wide analyser built on first use.
pub fn analyze_sentiment(text: &str) -> Sentiment {
    static SHARED: OnceLock<SentimentAnalyzer> = OnceLock::new();
    SHARED.get_or_init(SentimentAnalyzer::new).analyze(text)
}

fn normalize(sum: f64) -> f64 {
    (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

impl SentimentAnalyzer {
    pub fn new() -> Self {
        Self {
            table: WordTable::build(),
        }
    }

    pub fn analyze(&self, text: &str) -> Sentiment {
        self.analyze_tokens(&Tokens::new(text))
    }

    pub(super) fn analyze_tokens(&self, t: &Tokens) -> Sentiment {
        let infos: Vec<Option<&WordInfo>> = t.words().map(|w| self.table.get(w)).collect();
        let sum = self.valence_sum(t, &infos);
        let cues = cue_weight(t, &infos);
        let compound = normalize(with_punctuation(sum, t));

        if cues >= FRUSTRATED_STRONG && compound < POSITIVE_MIN {
            let score = if compound <= NEGATIVE_MAX {
                compound
            } else {
                normalize(with_punctuation(sum.min(0.0) - CUE_VALENCE * cues, t))
            };
            return Sentiment {
                label: SentimentLabel::Frustrated,
                score,
            };
        }
        let label = if compound >= POSITIVE_MIN {
            SentimentLabel::Positive
        } else if compound > NEGATIVE_MAX {
            SentimentLabel::Neutral
        } else if cues >= FRUSTRATED_MIN {
            SentimentLabel::Frustrated
        } else {
            SentimentLabel::Negative
        };
        Sentiment {
            label,
            score: compound,
        }
    }

    /// Sum of the adjusted valences of all sentiment words and phrases.
    fn valence_sum(&self, t: &Tokens, infos: &[Option<&WordInfo>]) -> f64 {
        let caps_stand_out = t.caps_stand_out();
        let but = t.words().position(|w| w == "but" || w == "however");
        let mut sum = 0.0;
        let mut i = 0;
        while i < infos.len() {
            let Some(info) = infos[i] else {
                i += 1;
                continue;
            };
            let (base, span) = info
                .phrases
                .iter()
                .find(|p| p.valence != 0.0 && p.matches_at(t, i))
                .map_or((info.valence, 1), |p| (p.valence, p.len()));
            if base != 0.0 {
                let mut v = base;
                if caps_stand_out && (i..i + span).any(|j| t.caps(j)) {
                    v += CAPS_BOOST.copysign(v);
                }
                v = Self::in_context(t, infos, i, v, caps_stand_out);
                v *= match but {
                    Some(b) if i < b => BEFORE_BUT,
                    Some(b) if i > b => AFTER_BUT,
                    _ => 1.0,
                };
                sum += v;
            }
            i += span;
        }
        sum
    }

    /// Applies the boosters and negators among the three words before word `i`, same clause only.
    fn in_context(
        t: &Tokens,
        infos: &[Option<&WordInfo>],
        i: usize,
        mut v: f64,
        caps_stand_out: bool,
    ) -> f64 {
        let clause = t.clause(i);
        for (d, fade) in BOOSTER_FADE.iter().enumerate() {
            let Some(j) = i.checked_sub(d + 1) else { break };
            if t.clause(j) != clause {
                break;
            }
            let info = infos.get(j).copied().flatten();
            // A word with valence of its own is scored itself, not used as an intensifier.
            if let Some(b) = info.filter(|x| x.booster != 0.0 && x.valence == 0.0) {
                // Intensifiers move the valence away from zero, dampeners towards it.
                let mut scalar = if v < 0.0 { -b.booster } else { b.booster };
                if caps_stand_out && t.caps(j) {
                    scalar += CAPS_BOOST.copysign(v);
                }
                v += scalar * fade;
            }
            if is_negator(info, t.word(j)) {
                v *= NEGATION;
            }
        }
        v
    }
}

/// VADER's punctuation emphasis: '!' and repeated '?' push a non-zero sum further from zero.
fn with_punctuation(sum: f64, t: &Tokens) -> f64 {
    if sum == 0.0 {
        return 0.0;
    }
    let bangs = t.exclamations.min(MAX_BANGS) as f64 * BANG;
    let questions = match t.questions {
        0 | 1 => 0.0,
        n @ 2..=3 => n as f64 * QUESTION,
        _ => MAX_QUESTION_BOOST,
    };
    sum + (bangs + questions).copysign(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::{Frustrated, Negative, Neutral, Positive};

    /// Realistic support messages with the label a human reader would give them.
    const LABELLED: &[(&str, SentimentLabel)] = &[
        // Positive.
        ("thanks, that fixed it!", Positive),
        (
            "Perfect, the export works now. Thank you so much!",
            Positive,
        ),
        (
            "You guys are awesome, the new dashboard is really fast",
            Positive,
        ),
        (
            "Great, I was able to log in. Appreciate the quick help.",
            Positive,
        ),
        ("No worries, it's not a big problem", Positive),
        ("The webhook isn't bad at all once it's set up", Positive),
        ("THANK YOU SO MUCH!!!", Positive),
        ("Thanks again, you've been really helpful", Positive),
        // Neutral.
        ("How do I export my invoices as CSV?", Neutral),
        ("Can you send me the invoice again?", Neutral),
        (
            "I'd like to change the email address on my account",
            Neutral,
        ),
        ("Where do I find my API key?", Neutral),
        (
            "I want to cancel my subscription at the end of the month.",
            Neutral,
        ),
        ("What are your opening hours?", Neutral),
        ("Is there a Zapier integration for the reports?", Neutral),
        // Negative.
        ("My card was declined", Negative),
        ("The dashboard is not working", Negative),
        ("I can't log in to my account", Negative),
        ("I'm not happy with the new pricing", Negative),
        ("The agent was nice but the export is broken", Negative),
        ("The reports are very slow today", Negative),
        ("I think I was charged twice this month", Negative),
        ("This is a terrible experience", Negative),
        ("The page is slightly slow", Negative),
        // Frustrated.
        (
            "I've tried this THREE times and it's STILL broken, this is ridiculous",
            Frustrated,
        ),
        ("It's still not working", Frustrated),
        (
            "I've been waiting for hours and nobody has replied",
            Frustrated,
        ),
        ("This is the third time I'm asking!!!", Frustrated),
        ("Seriously? The export failed again", Frustrated),
        ("This is useless, cancel my account", Frustrated),
        ("I'm fed up, I want to speak to a manager", Frustrated),
        ("WHY IS MY DASHBOARD STILL BLANK", Frustrated),
        ("My card was declined AGAIN", Frustrated),
        (
            "The sync keeps failing and I already tried everything you suggested",
            Frustrated,
        ),
        ("what a waste of time, nothing works", Frustrated),
        ("Why does this keep happening?!", Frustrated),
    ];

    #[test]
    fn labels_realistic_support_messages() {
        let a = SentimentAnalyzer::new();
        let wrong: Vec<String> = LABELLED
            .iter()
            .filter_map(|&(text, want)| {
                let got = a.analyze(text);
                (got.label != want).then(|| format!("{text:?}: want {want:?}, got {got:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "mislabelled:\n{}", wrong.join("\n"));
    }

    #[test]
    fn scores_stay_in_range_and_agree_with_labels() {
        let a = SentimentAnalyzer::new();
        for &(text, _) in LABELLED {
            let s = a.analyze(text);
            assert!((-1.0..=1.0).contains(&s.score), "{text}: {}", s.score);
            match s.label {
                Positive => assert!(s.score >= POSITIVE_MIN),
                Neutral => assert!(s.score > NEGATIVE_MAX && s.score < POSITIVE_MIN),
                Negative | Frustrated => assert!(s.score <= NEGATIVE_MAX, "{text}: {}", s.score),
            }
        }
    }

    fn score(text: &str) -> f64 {
        SentimentAnalyzer::new().analyze(text).score
    }

    #[test]
    fn compound_is_normalised_sum() {
        // A single "good" (1.8): 1.8 / sqrt(1.8² + 15).
        let want = 1.8 / (1.8f64 * 1.8 + 15.0).sqrt();
        assert!((score("The support was good") - want).abs() < 1e-12);
        assert!(score("great great great great great great great great great great") < 1.0);
    }

    #[test]
    fn negation_flips_and_shrinks() {
        assert!(score("The new editor is good") > 0.05);
        for text in [
            "The new editor is not good",
            "The new editor isn't good",
            "The new editor isn\u{2019}t good",
            "The new editor is never good",
            "The new editor isnt good at all",
        ] {
            assert_eq!(
                SentimentAnalyzer::new().analyze(text).label,
                Negative,
                "{text}"
            );
        }
        assert!(score("not terrible") > 0.0);
        assert!(score("not terrible") < -score("terrible"));
        // A clause break stops negation: "no" does not reach "great".
        assert_eq!(
            SentimentAnalyzer::new().analyze("No, it's great").label,
            Positive
        );
    }

    #[test]
    fn intensifiers_and_dampeners() {
        let plain = score("the sync is slow");
        assert!(score("the sync is very slow") < plain);
        assert!(score("the sync is extremely slow") < plain);
        assert!(score("the sync is slightly slow") > plain);
        assert!(score("the sync is slightly slow") < 0.0);
        // Fades with distance but still reaches three words.
        assert!(score("really the sync slow") < score("the sync slow"));
        assert!(score("really the sync slow") > score("really slow"));
    }

    #[test]
    fn capitals_emphasise_only_when_they_stand_out() {
        let plain = score("the support was good");
        assert!(score("the support was GOOD") > plain);
        assert!(score("the support was VERY good") > score("the support was very good"));
        assert!((score("THE SUPPORT WAS GOOD") - plain).abs() < 1e-12);
    }

    #[test]
    fn exclamation_marks_amplify_up_to_four() {
        let plain = score("this is broken");
        assert!(score("this is broken!") < plain);
        assert!(score("this is broken!!!!") < score("this is broken!"));
        assert_eq!(score("this is broken!!!!!!!!"), score("this is broken!!!!"));
        // Nothing to amplify in a neutral message.
        assert_eq!(score("where is the export button!"), 0.0);
    }

    #[test]
    fn but_shifts_weight_to_the_second_clause() {
        let a = SentimentAnalyzer::new();
        assert_eq!(
            a.analyze("The app is great but the export is broken").label,
            Negative
        );
        assert_eq!(
            a.analyze("The export was broken but support fixed it quickly")
                .label,
            Positive
        );
    }

    #[test]
    fn frustration_needs_negativity_or_strong_cues() {
        let a = SentimentAnalyzer::new();
        // Cues in a happy message do not make it frustrated.
        assert_eq!(a.analyze("It works again, thanks!!!").label, Positive);
        // A single weak cue in a calm request is not frustration.
        assert_eq!(
            a.analyze("Could you resend the receipt again please").label,
            Neutral
        );
        // Strong cues with no sentiment words are frustrated, and scored negative.
        let s = a.analyze("How many times do I have to ask?!");
        assert_eq!(s.label, Frustrated);
        assert!(s.score <= NEGATIVE_MAX);
    }

    #[test]
    fn odd_input_is_neutral_and_safe() {
        let a = SentimentAnalyzer::new();
        for text in [
            "",
            "   ",
            "...",
            "\u{1F600}\u{1F600}",
            "日本語のテキスト",
            "\0\u{FFFD}'",
        ] {
            let s = a.analyze(text);
            assert!(s.score.is_finite());
            assert_eq!(s.label, Neutral, "{text:?}");
        }
        // Punctuation alone can still be exasperated.
        assert_eq!(a.analyze("!!!???").label, Frustrated);
        let long = "broken and slow ".repeat(5_000);
        assert_eq!(a.analyze(&long).label, Negative);
    }

    #[test]
    fn shared_analyser_matches_a_fresh_one() {
        let text = "I've tried this THREE times and it's STILL broken";
        assert_eq!(
            analyze_sentiment(text),
            SentimentAnalyzer::new().analyze(text)
        );
    }
}
