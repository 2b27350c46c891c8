//! Missing or stale translations cannot ship: every catalog file exists in both languages and is
//! compiled in, both languages have the same keys (a plural may have more forms in one
//! language: Spanish has "many"), every key is used by the code, and every text that names a
//! `{placeholder}` names the same ones in both languages. The check is proved on a fixture with
//! one key missing in Spanish and one key no code uses.

#![cfg(feature = "ssr")]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use app::domain::i18n::{Locale, STAFF_ONLY, parse_catalog};

const PLURAL_FORMS: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// A language's keys with their texts, plural forms folded into their key (`items.one` and
/// `items.other` are `items`, holding every form's text).
fn read(dir: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sources = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        sources.push(fs::read_to_string(&path).unwrap());
    }
    let catalog = parse_catalog(Locale::En, sources.iter().map(String::as_str))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut keys: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (key, text) in catalog.entries {
        let (base, form) = match key.rsplit_once('.') {
            Some((base, form)) if PLURAL_FORMS.contains(&form) => (base.to_owned(), form),
            _ => (key.clone(), ""),
        };
        keys.entry(base).or_default().insert(form.to_owned(), text);
    }
    keys
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Every problem with the catalogs under `root` (`en/`, `es/`) given the code in `code`.
fn problems(root: &Path, code: &str) -> Vec<String> {
    let files = |lang: &str| -> BTreeSet<String> {
        fs::read_dir(root.join(lang))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let mut problems = Vec::new();
    for file in files("en").symmetric_difference(&files("es")) {
        problems.push(format!("{file} is in one language only"));
    }
    let (en, es) = (read(&root.join("en")), read(&root.join("es")));
    for (key, forms) in &en {
        let Some(spanish) = es.get(key) else {
            problems.push(format!("{key} has no Spanish text"));
            continue;
        };
        let plural = |forms: &BTreeMap<String, String>| !forms.contains_key("");
        if plural(forms) != plural(spanish) || (plural(forms) && !spanish.contains_key("other")) {
            problems.push(format!("{key} is a plural in one language only"));
        }
        let names = |forms: &BTreeMap<String, String>| -> BTreeSet<String> {
            forms.values().flat_map(|t| placeholders(t)).collect()
        };
        if names(forms) != names(spanish) {
            problems.push(format!(
                "{key} fills {:?} in English but {:?} in Spanish",
                names(forms),
                names(spanish)
            ));
        }
        if !code.contains(&format!("\"{key}\"")) {
            problems.push(format!("{key} is used by no code"));
        }
    }
    for key in es.keys().filter(|k| !en.contains_key(*k)) {
        problems.push(format!("{key} has no English text"));
    }
    problems
}

/// Where code may name a key the staff console alone carries to the browser: the console's
/// features, the server's own code, and the domain types only staff forms parse.
fn may_use_staff_words(path: &str) -> bool {
    let path = path.replace('\\', "/");
    path.contains("/ssr/")
        || path.ends_with("/ssr.rs")
        || STAFF_ONLY
            .iter()
            .any(|section| path.contains(&format!("src/{section}/")))
        || [
            "src/domain/campaign.rs",
            "src/domain/action_terms.rs",
            "src/infra/",
        ]
        .iter()
        .any(|staff| path.contains(staff))
}

/// Each key of a staff-only section named by code a member's page may run, as `file: key`.
fn staff_words_outside_the_console(files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in files.iter().filter(|(path, _)| !may_use_staff_words(path)) {
        for section in STAFF_ONLY {
            for (at, _) in text.match_indices(&format!("\"{section}.")) {
                let key: String = text[at + 1..].chars().take_while(|c| *c != '"').collect();
                found.push(format!("{path}: {key}"));
            }
        }
    }
    found
}

/// Every Rust file under `dir`, as (path, text).
fn files_in(dir: &Path, into: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_in(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push((
                path.display().to_string(),
                fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// The text of every Rust file under `dirs`.
fn code_in(dirs: &[&Path]) -> String {
    let mut files = Vec::new();
    for dir in dirs {
        files_in(dir, &mut files);
    }
    files.into_iter().map(|(_, text)| text).collect()
}

#[test]
fn both_languages_have_every_key_and_every_key_is_used() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR"));
    let code = code_in(&[&app.join("src"), &app.join("../server/src")]);
    let problems = problems(&app.join("locales"), &code);
    assert!(
        problems.is_empty(),
        "the catalogs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_catalog_file_is_compiled_into_the_server() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR"));
    let on_disk: BTreeSet<String> = fs::read_dir(app.join("locales/en"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .replace(".toml", "")
        })
        .collect();
    let compiled: BTreeSet<String> = app::domain::i18n::FILES
        .iter()
        .map(|(name, _, _)| (*name).to_owned())
        .collect();
    assert_eq!(on_disk, compiled, "list new files in domain/i18n/server.rs");
}

#[test]
fn a_key_missing_in_spanish_or_used_by_no_code_fails_the_check() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalogs");
    let code = fs::read_to_string(fixture.join("uses.rs.txt")).unwrap();
    assert_eq!(
        problems(&fixture, &code),
        [
            "shop.price has no Spanish text",
            "shop.stale is used by no code"
        ]
    );
}

#[test]
fn no_page_outside_the_staff_console_needs_the_words_it_leaves_out() {
    let mut files = Vec::new();
    files_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let found = staff_words_outside_the_console(&files);
    assert!(
        found.is_empty(),
        "a member's page would show these keys as they are (they are left out of its catalog; \
         see STAFF_ONLY):\n{}",
        found.join("\n")
    );
    // The check finds such a key where a member's page would show it, and only there.
    let member_page = (
        "app/src/bazaar/page.rs".to_owned(),
        r#"tr.t("campaigns.heading")"#.to_owned(),
    );
    let console = (
        "app/src/campaigns/pages.rs".to_owned(),
        r#"tr.t("campaigns.heading")"#.to_owned(),
    );
    assert_eq!(
        staff_words_outside_the_console(&[member_page, console]),
        ["app/src/bazaar/page.rs: campaigns.heading"]
    );
}
