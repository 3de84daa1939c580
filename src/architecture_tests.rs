//! The import rules of `DESIGN.md`, checked over the source so they cannot drift: `domain`
//! imports nothing; `analysis` only `domain`; engines never import each other; `service` never
//! imports `http` or `app`; `http` sees the domain, its protocol frames, its configuration and the
//! service port (`service::port`, `service::error`) and nothing else of the services; only `app`
//! (and the benchmarks, which assemble gateways too) names concrete implementations.
//!
//! Unit-test modules (after `#[cfg(test)]`) are not held to the rules. An import the rules forbid
//! but the code still has would be listed in `KNOWN_DEBT`: the test fails on any import outside
//! the rules *and* on a debt entry that no longer exists, so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Engines: they decide, and see only the domain (and `analysis`'s pure functions).
const ENGINES: &[&str] = &[
    "analysis",
    "assistant",
    "attachments",
    "chat",
    "email",
    "embed",
    "handoff",
    "media",
    "review",
    "storage",
    "transcribe",
];

/// Leaf helpers any engine may use (no imports of their own beyond std and crates).
const UTILITIES: &[&str] = &["pypi"];

/// Imports the rules forbid but the code still has, as `(from, to)`, until issue 17 moves them.
const KNOWN_DEBT: &[(&str, &str)] = &[];

/// Concrete implementations only `app` (and `bench`) may name outside their own module.
const CONCRETE: &[(&str, &str)] = &[
    ("SqliteStore", "storage"),
    ("PgStore", "storage"),
    ("NatsFanout", "cluster"),
    ("Sfu", "media"),
    ("MiniLm", "embed"),
];

/// `crate::<module>` references in the code of `dir` (comments skipped), per file.
fn references(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                let mut mods = BTreeSet::new();
                // Unit tests (at the end of a file, after `#[cfg(test)]`) may assemble anything.
                for line in text.lines().take_while(|l| l.trim() != "#[cfg(test)]") {
                    let code = line.split("//").next().unwrap_or("");
                    let mut rest = code;
                    while let Some(i) = rest.find("crate::") {
                        rest = &rest[i + "crate::".len()..];
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() {
                            mods.insert(name);
                        }
                    }
                }
                out.insert(p.display().to_string(), mods);
            }
        }
    }
    out
}

fn src() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))
}

/// `(from, to, file)` for every cross-module reference of `module`.
fn imports_of(module: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (file, mods) in references(&src().join(module)) {
        for m in mods {
            if m != module {
                out.push((m, file.clone()));
            }
        }
    }
    out
}

fn allowed(from: &str, to: &str) -> bool {
    let engine = |m: &str| ENGINES.contains(&m);
    match from {
        "domain" => false,
        "analysis" => to == "domain",
        // The embedder implements `analysis`'s trait.
        f if engine(f) => matches!(to, "domain" | "analysis") || UTILITIES.contains(&to) || to == f,
        "http" => matches!(to, "domain" | "chat" | "config" | "service"),
        "service" => !matches!(to, "http" | "app" | "bench"),
        // The cluster adapter carries the conversation layer between nodes: delivery (`chat`),
        // the log it fills gaps from (`storage`) and the domain, nothing that decides.
        "cluster" => matches!(to, "domain" | "chat" | "storage"),
        _ => true,
    }
}

#[test]
fn modules_import_only_what_the_design_allows() {
    let mut broken = Vec::new();
    let mut debt_seen = BTreeSet::new();
    for from in ENGINES
        .iter()
        .copied()
        .chain(["domain", "http", "service", "cluster"])
    {
        for (to, file) in imports_of(from) {
            if allowed(from, &to) {
                continue;
            }
            if KNOWN_DEBT.contains(&(from, to.as_str())) {
                debt_seen.insert((from, to));
                continue;
            }
            broken.push(format!("{file}: `{from}` imports `crate::{to}`"));
        }
    }
    broken.sort();
    broken.dedup();
    assert!(
        broken.is_empty(),
        "imports against DESIGN.md's rules:\n{}",
        broken.join("\n")
    );
    for (from, to) in KNOWN_DEBT {
        assert!(
            debt_seen.contains(&(*from, to.to_string())),
            "`{from}` no longer imports `{to}`: remove it from KNOWN_DEBT"
        );
    }
}

/// What of `crate::service` the HTTP layer may name: the port and its error, nothing that
/// implements it.
const SERVICE_PORT: &[&str] = &["port", "error", "Backend", "ServiceError", "ErrorKind"];

#[test]
fn http_sees_only_the_service_port() {
    let mut broken = Vec::new();
    for (file, _) in references(&src().join("http")) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let code: String = text
            .lines()
            .take_while(|l| l.trim() != "#[cfg(test)]")
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::service::") {
            rest = &rest[i + "crate::service::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or("").trim())
                    .filter(|n| !n.is_empty())
                    .collect(),
                None => vec![rest
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or("")],
            };
            for n in names {
                if !SERVICE_PORT.contains(&n) {
                    broken.push(format!("{file}: `http` names `crate::service::{n}`"));
                }
            }
        }
    }
    broken.sort();
    broken.dedup();
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn only_app_names_concrete_implementations() {
    let mut broken = Vec::new();
    let Ok(entries) = std::fs::read_dir(src()) else {
        panic!("no src directory");
    };
    for e in entries.flatten() {
        let module = e
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if matches!(
            module.as_str(),
            "app" | "bench" | "main" | "architecture_tests"
        ) {
            continue;
        }
        let files = if e.path().is_dir() {
            references(&e.path()).into_keys().collect::<Vec<_>>()
        } else {
            vec![e.path().display().to_string()]
        };
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for (name, home) in CONCRETE {
                if module == *home {
                    continue;
                }
                let named = text.lines().any(|l| {
                    let code = l.split("//").next().unwrap_or("");
                    code.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                        .any(|w| w == *name)
                });
                if named {
                    broken.push(format!("{file} names `{name}`"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
