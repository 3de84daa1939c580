//! Example messages for reading mood by meaning: data only. The lexicon reads feeling from words;
//! these catch what it has no word for ("this is doing my head in", "that's the third person
//! who's told me to clear my cache", "we have been let down again"). Neutral and positive examples
//! are the contrast, so a plain problem report stays calm.

use crate::domain::SentimentLabel;

pub const EXAMPLES: &[(SentimentLabel, &str)] = &[
    (
        SentimentLabel::Frustrated,
        "This is doing my head in, nothing works",
    ),
    (
        SentimentLabel::Frustrated,
        "I've explained this three times already and nobody listens",
    ),
    (
        SentimentLabel::Frustrated,
        "Seriously, how hard can it be to fix one thing?",
    ),
    (SentimentLabel::Frustrated, "I'm at my wits' end with this"),
    (
        SentimentLabel::Frustrated,
        "We keep getting passed around and nothing gets fixed",
    ),
    (
        SentimentLabel::Frustrated,
        "Still broken. I've tried everything you told me.",
    ),
    (
        SentimentLabel::Frustrated,
        "I'm fed up, this keeps happening every week",
    ),
    (
        SentimentLabel::Frustrated,
        "Unbelievable, I pay for this and it never works",
    ),
    (
        SentimentLabel::Frustrated,
        "I've wasted my whole afternoon on this",
    ),
    (
        SentimentLabel::Frustrated,
        "Why is nobody answering me? I've been waiting forever",
    ),
    (SentimentLabel::Frustrated, "Hello?? Is anyone even there?"),
    (
        SentimentLabel::Frustrated,
        "Just get me someone who can actually fix it",
    ),
    (
        SentimentLabel::Negative,
        "I'm really worried we've lost our data",
    ),
    (
        SentimentLabel::Negative,
        "That's disappointing, we expected better",
    ),
    (
        SentimentLabel::Negative,
        "I'm not happy about being charged for something I cancelled",
    ),
    (
        SentimentLabel::Negative,
        "This is a bit of a mess to be honest",
    ),
    (
        SentimentLabel::Negative,
        "I'm nervous about the audit if this isn't sorted",
    ),
    (
        SentimentLabel::Negative,
        "Unfortunately it still doesn't work for me",
    ),
    (
        SentimentLabel::Negative,
        "I'm confused and a little stressed about this",
    ),
    (
        SentimentLabel::Negative,
        "Not great, our customers noticed the outage",
    ),
    (
        SentimentLabel::Neutral,
        "How do I export a dashboard to CSV?",
    ),
    (
        SentimentLabel::Neutral,
        "My dashboard shows a blank page after I log in",
    ),
    (SentimentLabel::Neutral, "Where can I find my invoices?"),
    (
        SentimentLabel::Neutral,
        "The webhook returns 401, what should I check?",
    ),
    (
        SentimentLabel::Neutral,
        "I'd like to change the card we pay with",
    ),
    (SentimentLabel::Neutral, "Ok, I'll try that now"),
    (
        SentimentLabel::Neutral,
        "Our admin is on holiday until Monday",
    ),
    (
        SentimentLabel::Neutral,
        "Can you tell me how the refund policy works?",
    ),
    (SentimentLabel::Positive, "Thanks, that fixed it!"),
    (
        SentimentLabel::Positive,
        "Great, that worked perfectly, thank you",
    ),
    (
        SentimentLabel::Positive,
        "Brilliant, you've been really helpful",
    ),
    (SentimentLabel::Positive, "Ah that makes sense now, cheers"),
];
