//! The layer rules of `app/src/lib.rs`, checked on every test run: each layer uses only the
//! layers below it, a feature uses another feature only where `lib.rs` declares it, nothing
//! but `lib.rs` and the browser entry names the shell, only a `config.rs` reads the
//! environment, and no Rust file grows past 600 lines. The checker reads the source as text (a
//! `crate::name` path names the module it uses), so it needs nothing but the files.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The longest a Rust file may be, tests and benchmarks included.
const MAX_LINES: usize = 600;

/// The layers, lowest first; features are every other top-level module.
const DOMAIN: &str = "domain";
const INFRA: &str = "infra";
const KIT: &str = "kit";
/// The only files that may name the shell (and, with it, every feature).
const SHELL_USERS: [&str; 3] = ["lib.rs", "shell.rs", "hydrate.rs"];

/// A source file: its path relative to the crate's `src` (or the repository, for the line and
/// environment rules) and its text.
struct Source {
    path: String,
    text: String,
}

fn rank(module: &str) -> u8 {
    match module {
        DOMAIN => 1,
        INFRA => 2,
        KIT => 3,
        "shell" | "hydrate" => 5,
        _ => 4,
    }
}

/// The top-level module a file of `app/src` belongs to (`None` for `lib.rs`).
fn module_of(path: &str) -> Option<String> {
    let first = path.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// Every top-level module a file names through `crate::…`, including grouped uses such as
/// `use crate::{kit::Loaded, domain::points::Points}`. Comments are skipped.
fn modules_named(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut named = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for part in top_level_items(&group[..end]) {
                named.insert(first_ident(part));
            }
        } else {
            named.insert(first_ident(rest));
        }
    }
    named.retain(|m| !m.is_empty() && m != "AppError" && m != "App" && m != "self");
    named
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn top_level_items(group: &str) -> Vec<&str> {
    let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(group[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(group[start..].trim());
    items
}

fn first_ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The feature-to-feature uses `lib.rs` declares, one per line: `//! - account -> redemptions`.
fn declared(lib: &str) -> BTreeSet<(String, String)> {
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("//! - "))
        .filter_map(|l| {
            let (from, to) = l.split_once(" -> ")?;
            let to = first_ident(to);
            Some((from.trim().to_owned(), to))
        })
        .collect()
}

/// What breaks the layer rules in the files of `app/src`.
fn layer_violations(app: &[Source]) -> Vec<String> {
    let lib = app
        .iter()
        .find(|s| s.path == "lib.rs")
        .map_or("", |s| s.text.as_str());
    let allowed = declared(lib);
    let mut found = Vec::new();
    for source in app {
        let Some(own) = module_of(&source.path) else {
            continue;
        };
        for used in modules_named(&source.text) {
            if used == own {
                continue;
            }
            if used == "shell" && !SHELL_USERS.iter().any(|f| source.path == *f) {
                found.push(format!("{} names the shell", source.path));
            } else if rank(&used) > rank(&own) {
                found.push(format!(
                    "{} ({own}) uses {used}, a layer above it",
                    source.path
                ));
            } else if rank(&used) == 4
                && rank(&own) == 4
                && !allowed.contains(&(own.clone(), used.clone()))
            {
                found.push(format!(
                    "{} ({own}) uses the feature {used}, which lib.rs does not declare",
                    source.path
                ));
            }
        }
    }
    found
}

/// Files anywhere that read the environment outside a `config.rs`, or pass the line limit.
fn file_violations(files: &[Source]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        let lines = file.text.lines().count();
        if lines > MAX_LINES {
            found.push(format!(
                "{} has {lines} lines (at most {MAX_LINES}): split it by operation",
                file.path
            ));
        }
        let reads_env = ["std::env::var", "env::var("]
            .iter()
            .any(|p| file.text.contains(p));
        if reads_env && !file.path.ends_with("config.rs") {
            found.push(format!(
                "{} reads the environment outside a config module",
                file.path
            ));
        }
    }
    found
}

fn rust_files(root: &Path, dir: &Path, into: &mut Vec<Source>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path: PathBuf = entry.path();
        if path.is_dir() {
            rust_files(root, &path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(Source {
                path: path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                text: fs::read_to_string(&path).unwrap(),
            });
        }
    }
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

#[test]
fn the_app_uses_its_layers_in_one_direction_only() {
    let src = repository().join("app/src");
    let mut app = Vec::new();
    rust_files(&src, &src, &mut app);
    assert!(app.len() > 40, "read the app's sources");
    let found = layer_violations(&app);
    assert!(
        found.is_empty(),
        "layer rules broken:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_rust_file_is_over_the_line_limit_or_reads_the_environment_outside_config() {
    let root = repository();
    let mut files = Vec::new();
    for dir in [
        "app/src",
        "app/tests",
        "server/src",
        "server/tests",
        "server/benches",
        "server/examples",
    ] {
        rust_files(&root, &root.join(dir), &mut files);
    }
    // This file's own examples of what breaks the rules.
    files.retain(|f| f.path != "app/tests/layers.rs");
    assert!(files.len() > 80, "read the sources");
    let found = file_violations(&files);
    assert!(found.is_empty(), "file rules broken:\n{}", found.join("\n"));
}

fn source(path: &str, text: &str) -> Source {
    Source {
        path: path.into(),
        text: text.into(),
    }
}

const LIB: &str =
    "//! # Features that use another feature\n//! - account -> redemptions (a reason)\n";

#[test]
fn the_checker_refuses_a_feature_that_names_the_shell_and_a_layer_that_reaches_up() {
    let found = layer_violations(&[
        source("lib.rs", LIB),
        source("bazaar/page.rs", "use crate::shell::ErrorNotice;"),
        source(
            "domain/points.rs",
            "use crate::{domain::wire::Wire, kit::Loaded};",
        ),
        source("infra/state.rs", "let x = crate::redemptions::Line::new();"),
        source(
            "kit/page.rs",
            "// crate::bazaar is only mentioned in a comment",
        ),
    ]);
    assert_eq!(
        found,
        [
            "bazaar/page.rs names the shell",
            "domain/points.rs (domain) uses kit, a layer above it",
            "infra/state.rs (infra) uses redemptions, a layer above it",
        ]
    );
}

#[test]
fn the_checker_allows_only_the_feature_uses_lib_rs_declares() {
    let found = layer_violations(&[
        source("lib.rs", LIB),
        source(
            "account/page.rs",
            "use crate::redemptions::RedemptionsList;",
        ),
        source(
            "redemptions/pages.rs",
            "use crate::account::ChangePassword;",
        ),
        source("hydrate.rs", "use crate::shell::NavigationTarget;"),
        source("shell.rs", "use crate::bazaar::BazaarPage;"),
    ]);
    assert_eq!(
        found,
        [
            "redemptions/pages.rs (redemptions) uses the feature account, which lib.rs does not declare"
        ]
    );
}

#[test]
fn the_checker_refuses_long_files_and_reading_the_environment_outside_config() {
    let long = "let a = 1;\n".repeat(MAX_LINES + 1);
    let found = file_violations(&[
        source(
            "server/src/main.rs",
            "let url = std::env::var(\"DATABASE_URL\");",
        ),
        source("app/src/infra/config.rs", "std::env::var(name).ok()"),
        source("server/tests/it/console.rs", &long),
        source("server/tests/it/short.rs", &"x\n".repeat(MAX_LINES)),
    ]);
    assert_eq!(
        found,
        [
            "server/src/main.rs reads the environment outside a config module",
            "server/tests/it/console.rs has 601 lines (at most 600): split it by operation",
        ]
    );
}
