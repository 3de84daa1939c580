//! The evaluation set's files (`tests/quality/README.md` is their reference): conversations with
//! what a good assistant and briefing do, and single retrieval questions. Read from a directory
//! (`--set DIR`) or from the copy compiled into the binary, so the bench runs anywhere.

use rust_embed::RustEmbed;
use serde::Deserialize;
use std::path::Path;

#[derive(RustEmbed)]
#[folder = "tests/quality/"]
struct Embedded;

/// Which part of the set a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// What the code is tuned against.
    Tuning,
    /// Kept out of tuning; reported separately.
    HeldOut,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tuning => "tuning",
            Self::HeldOut => "held_out",
        }
    }

    fn of(folder: &str) -> Option<Self> {
        match folder {
            "tuning" => Some(Self::Tuning),
            "held_out" => Some(Self::HeldOut),
            _ => None,
        }
    }
}

/// Alternatives: one of them must appear (case-insensitive substring).
pub type Group = Vec<String>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationSpec {
    pub title: String,
    #[serde(default)]
    pub customer: Option<serde_json::Value>,
    #[serde(default)]
    pub agents: Agents,
    #[serde(rename = "turn")]
    pub turns: Vec<TurnSpec>,
    pub expect: Expect,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agents {
    #[default]
    Online,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnSpec {
    pub say: String,
    #[serde(default)]
    pub answer: Vec<String>,
    #[serde(default)]
    pub refuse: bool,
    #[serde(default)]
    pub clarify: Vec<String>,
    #[serde(default)]
    pub reply: Vec<Group>,
}

impl TurnSpec {
    /// What this turn's reply is judged on, if anything.
    pub fn judged(&self) -> Option<Judged<'_>> {
        if self.refuse {
            Some(Judged::Refuse)
        } else if !self.clarify.is_empty() {
            Some(Judged::Clarify(&self.clarify))
        } else if !self.answer.is_empty() {
            Some(Judged::Answer(&self.answer))
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Judged<'a> {
    Answer(&'a [String]),
    Refuse,
    Clarify(&'a [String]),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub escalate: bool,
    #[serde(default)]
    pub trigger: Vec<String>,
    #[serde(default)]
    pub mood: Vec<String>,
    #[serde(default)]
    pub trend: Vec<String>,
    #[serde(default)]
    pub peak: Vec<String>,
    #[serde(default)]
    pub urgency: Vec<String>,
    #[serde(default)]
    pub time_pressure: Vec<Group>,
    #[serde(default)]
    pub attempts: Vec<Group>,
    #[serde(default)]
    pub duration: Vec<Group>,
    #[serde(default)]
    pub summary: Vec<Group>,
    #[serde(default)]
    pub intro: Vec<Group>,
    #[serde(default)]
    pub next_actions: Vec<Group>,
    #[serde(default)]
    pub next_actions_avoid: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrievalFile {
    #[serde(default)]
    pub q: Vec<Question>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub ask: String,
    #[serde(default)]
    pub answer: Vec<String>,
    #[serde(default)]
    pub refuse: bool,
}

/// Everything loaded, tagged with its split and file name.
#[derive(Debug, Default)]
pub struct EvalSet {
    pub conversations: Vec<(Split, String, ConversationSpec)>,
    pub questions: Vec<(Split, Question)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{file}: {source}")]
    Parse {
        file: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("{0}: not UTF-8")]
    Encoding(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}: no turns")]
    Empty(String),
}

impl EvalSet {
    /// The set compiled into the binary (`tests/quality/`).
    pub fn embedded() -> Result<Self, SpecError> {
        let mut set = Self::default();
        let mut names: Vec<String> = Embedded::iter().map(|n| n.into_owned()).collect();
        names.sort();
        for name in names {
            let Some(file) = Embedded::get(&name) else {
                continue;
            };
            let text = std::str::from_utf8(&file.data)
                .map_err(|_| SpecError::Encoding(name.clone()))?
                .to_owned();
            set.add(&name, &text)?;
        }
        Ok(set)
    }

    /// `dir/tuning/*.toml` and `dir/held_out/*.toml`.
    pub fn load(dir: &Path) -> Result<Self, SpecError> {
        let mut set = Self::default();
        for folder in ["tuning", "held_out"] {
            let sub = dir.join(folder);
            if !sub.is_dir() {
                continue;
            }
            let mut files: Vec<_> = std::fs::read_dir(&sub)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            for path in files {
                let text = std::fs::read_to_string(&path)?;
                let name = format!(
                    "{folder}/{}",
                    path.file_name().unwrap_or_default().to_string_lossy()
                );
                set.add(&name, &text)?;
            }
        }
        Ok(set)
    }

    fn add(&mut self, name: &str, text: &str) -> Result<(), SpecError> {
        let (folder, file) = name.split_once('/').unwrap_or(("", name));
        let Some(split) = Split::of(folder) else {
            return Ok(());
        };
        if !file.ends_with(".toml") {
            return Ok(());
        }
        let parse = |source| SpecError::Parse {
            file: name.to_owned(),
            source,
        };
        if file == "retrieval.toml" {
            let r: RetrievalFile = toml::from_str(text).map_err(parse)?;
            self.questions.extend(r.q.into_iter().map(|q| (split, q)));
        } else {
            let c: ConversationSpec = toml::from_str(text).map_err(parse)?;
            if c.turns.is_empty() {
                return Err(SpecError::Empty(name.to_owned()));
            }
            self.conversations
                .push((split, file.trim_end_matches(".toml").to_owned(), c));
        }
        Ok(())
    }
}
